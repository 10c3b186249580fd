"""Every input format → one stream of tokens in document order.

A token is a printed cell (from an HTML/DOCX/PDF/XLS(X) table, rowspan/colspan expanded so
that columns line up) or a line of text (headings, text renderings of tables). The label
matcher reads the stream; it does not care which format it came from. Cells that are only
copies of a spanning cell are kept in the grid (for header alignment and legacy tables) but
left out of the stream, so a spanned value is never counted twice.
"""
from __future__ import annotations

import io
import re
import subprocess
import tempfile
from bisect import bisect_left
from dataclasses import dataclass, field

from nianbao.model import Problem

from .cells import clean_raw, looks_like_value

MAX_GRID_CELLS = 50_000       # a 20 MB table is cut here (a real 年报 table has < 400 cells)
MAX_TOKENS = 400_000

# PDF work is bounded inside the extraction too (pipelines/bounded.py is only the outer bound):
MAX_PDF_PAGES = 200              # a 年报 has < 60 pages; a 5,000-page file is read up to here
MAX_PDF_PAGE_EDGES = 5_000       # ruling lines/rect sides per page; a real table page has < 2,000
MAX_PDF_GRID_CROSSINGS = 10_000  # distinct horizontal × vertical rulings: pdfplumber's cell search
                                 # grows with its square (120×120 rulings: 2.5 s, 160×160: 8 s)
MAX_PDF_PAGE_CHARS = 20_000      # a dense A4 page has ~3,000 characters; layout text is read up to here
MAX_PDF_NESTING = 1_000          # arrays/dicts nested deeper (real PDFs: < 20) are hostile: pdfminer
                                 # keeps every level (20M levels, 40 MB: 3.5 GB and minutes)


class LimitExceeded(Exception):
    """A file beyond a limit of this module: the document gets error `code` (no content read)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Tok:
    text: str                 # raw text as printed (whitespace collapsed)
    locator: str
    grid: int | None = None   # grid id when the token is a table cell
    row: int | None = None
    col: int | None = None
    number: float | None = None   # the stored number of a spreadsheet cell
    x: float | None = None        # centre column of a value in a column-aligned text line


@dataclass
class GCell:
    text: str
    copy: bool = False        # True: position covered by a row/colspan of another cell
    number: float | None = None


@dataclass
class Grid:
    prefix: str               # locator prefix, e.g. "html:table[2]"
    rows: list[list[GCell]] = field(default_factory=list)
    truncated: bool = False   # cut at MAX_GRID_CELLS

    def texts(self) -> list[list[str]]:
        return [[c.text for c in r] for r in self.rows]


def expand(rows: list[list[tuple[str, int, int]]], prefix: str) -> Grid:
    """Rows of (text, rowspan, colspan) → rectangular grid with span copies marked."""
    g = Grid(prefix)
    taken: dict[tuple[int, int], GCell] = {}
    width: dict[int, int] = {}
    total = 0
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            rs = max(1, min(rs, len(rows) - r, 1000))   # a rowspan past the table's end is cut there
            cs = max(1, min(cs, 200))
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = GCell(text, copy=(dr or dc) > 0)
                width[r + dr] = max(width.get(r + dr, 0), c + cs)
            c += cs
            total += rs * cs
            if total > MAX_GRID_CELLS:
                break
        g.rows.append([taken.pop((r, cc), None) or GCell("", copy=True) for cc in range(width.get(r, 0))])
        if total > MAX_GRID_CELLS:
            g.truncated = True
            break
    return g


def grid_tokens(g: Grid, gid: int) -> list[Tok]:
    toks = []
    for r, row in enumerate(g.rows):
        for c, cell in enumerate(row):
            if cell.copy:
                continue
            toks.append(Tok(cell.text, f"{g.prefix}/r{r + 1}/c{c + 1}", gid, r, c, cell.number))
    return toks


# ------------------------------------------------------------------ HTML
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
          "section", "article", "center", "blockquote", "pre", "dd", "dt", "dl", "form", "header",
          "footer", "hr", "title", "caption", "tbody", "thead"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "select", "option", "head",
         "button", "svg"}



def add_grid(g: Grid, grids: list, toks: list, lines: list) -> None:
    """Append a table to the document stream: its grid, its tokens, and a `|` line per row
    (so body text and section splitting see the table as the reader does)."""
    gid = len(grids)
    grids.append(g)
    toks.extend(grid_tokens(g, gid))
    for row in g.rows:
        t = " | ".join(c.text for c in row if not c.copy)
        if t.strip(" |"):
            lines.append(t)


def _cell_text(td) -> str:
    """Text of a table cell: <br>/<p> become spaces, nested tables excluded."""
    parts: list[str] = []

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in _SKIP or tag.lower() == "table":
            if el.tail:
                parts.append(el.tail)
            return
        if tag.lower() in ("br", "p", "div"):
            parts.append(" ")
        if el.text:
            parts.append(el.text)
        for ch in el:
            walk(ch)
        if tag.lower() in ("p", "div"):
            parts.append(" ")
        if el.tail and el is not td:
            parts.append(el.tail)

    walk(td)
    return clean_raw("".join(parts))


def _span(el, name: str) -> int:
    v = el.get(name)
    if not v:
        return 1
    m = re.match(r"\s*(\d+)", v)
    return int(m.group(1)) if m else 1


def _own_rows(table):
    """<tr> elements of this table, not of tables nested in it."""
    out = []
    for tr in table.iter("tr"):
        p = tr.getparent()
        while p is not None and p.tag != "table":
            p = p.getparent()
        if p is table:
            out.append(tr)
    return out


def html_table_grid(table, prefix: str) -> Grid:
    rows = []
    n = 0
    for tr in _own_rows(table):
        cells = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            cells.append((_cell_text(td), _span(td, "rowspan"), _span(td, "colspan")))
        rows.append(cells)
        n += len(cells)
        if n > MAX_GRID_CELLS:
            g = expand(rows, prefix)   # a giant table is read up to the cap, not to exhaustion
            g.truncated = True
            return g
    return expand(rows, prefix)


def html_stream(root, kind: str = "html") -> tuple[list[Tok], list[Grid], list[str]]:
    """Walk an lxml element in document order: text lines become line tokens, innermost data
    tables become grids. Tables that only hold other tables (layout tables) are walked into.
    Returns (tokens, grids, text lines)."""
    toks: list[Tok] = []
    grids: list[Grid] = []
    lines: list[str] = []
    buf: list[str] = []
    counter = {"table": 0}

    def flush(block: bool = False):
        rawtext = "".join(buf)
        t = clean_raw(rawtext)
        buf.clear()
        if t:
            lines.append(t)
            if "|" in t:
                # a text rendering of a table row inside a paragraph: cells between the bars
                sub, _ = text_stream(t, kind)
                for tk in sub:
                    tk.locator = f"{kind}:line {len(lines)}" + tk.locator[tk.locator.find("/"):] \
                        if "/" in tk.locator else f"{kind}:line {len(lines)}"
                toks.extend(sub)
            else:
                toks.append(Tok(t, f"{kind}:line {len(lines)}"))
        elif block and ("\xa0" in rawtext or "\u3000" in rawtext):
            # <p>&nbsp;</p> where a one-cell-per-paragraph table has a blank cell
            toks.append(Tok("", f"{kind}:line {len(lines)}/blank"))

    def walk(el):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _SKIP or not tag:
            if el.tail:
                buf.append(el.tail)
            return
        if tag == "table" and not any(True for _ in el.iterdescendants("table")):
            flush()
            counter["table"] += 1
            g = html_table_grid(el, f"{kind}:table[{counter['table']}]")
            add_grid(g, grids, toks, lines)
            if el.tail:
                buf.append(el.tail)
            return
        if tag == "pre" or (tag in ("p", "div") and "|" in (el.text or "") and "\n" in el.text_content().strip()):
            flush()
            sub, sublines = text_stream(el.text_content(), kind)
            base = len(lines)
            for tk in sub:
                m = re.match(rf"{kind}:line (\d+)(.*)", tk.locator)
                if m:
                    tk.locator = f"{kind}:line {base + int(m.group(1))}{m.group(2)}"
            toks.extend(sub)
            lines.extend(sublines)
            if el.tail:
                buf.append(el.tail)
            return
        if tag in _BLOCK or tag in ("td", "th"):
            flush()
        if el.text:
            buf.append(el.text)
        for ch in el:
            walk(ch)
        if tag in _BLOCK or tag in ("td", "th"):
            flush(block=tag in ("p", "div", "li"))
        if el.tail:
            buf.append(el.tail)

    walk(root)
    flush()
    return toks[:MAX_TOKENS], grids, lines


# ------------------------------------------------------------------ text renderings
# a label, then its cells separated by spaces/tabs: numbers, or "/" "—" "-" for NA cells
_VAL = r"(?:[+\-−]?\d[\d,，]*(?:\.\d+)?|[/／]|[—－\-]{1,2})"
_TRAILING_VALUES = re.compile(r"^(?P<label>.*?[^\d\s+\-−/／—－])\s+(?P<vals>" + _VAL + r"(?:\s+" + _VAL + r"){0,19})\s*$")


# Positions mean something only in a column-aligned dump (pdftotext -layout, pdfplumber
# layout=True): there cells are separated by runs of spaces; a single-space join is not aligned.
_ALIGNED = re.compile(r"\S {2,}\S")
# page numbers printed by Word/WPS/PDF converters: "— 3 —", "- 3 -", "第 3 页", "第3页 共5页", "3/5"
_PAGE_FURNITURE = re.compile(r"^\s*(?:[-—–－]+\s*\d{1,3}\s*[-—–－]+|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
                             r"|\d{1,3}\s*/\s*\d{1,3}|[Pp]age\s*\d{1,3}(?:\s*of\s*\d{1,3})?)\s*$")


def text_stream(text: str, kind: str = "text") -> tuple[list[Tok], list[str]]:
    """Text renderings of tables: one cell per line (blank lines ignored), `|`-separated rows
    where empty cells are real cells, or a label followed by whitespace-separated numbers
    (PDF text). Returns (tokens, lines)."""
    toks: list[Tok] = []
    lines = []
    running: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        lines.append(clean_raw(s))
        if _PAGE_FURNITURE.match(s):
            continue   # a page number between two halves of a row must not split the row
        if len(s) <= 80 and ("报告" in s or "報告" in s):
            if s in running:
                continue   # the title repeated as a running page header
            running.add(s)
        loc = f"{kind}:line {n}"
        if "|" in s:
            parts = s.split("|")
            if parts and not parts[-1].strip():
                parts = parts[:-1]  # the trailing "|" closes the last cell
            for k, p in enumerate(parts):
                toks.append(Tok(clean_raw(p), f"{loc}/c{k + 1}" if len(parts) > 1 else loc))
            continue
        m = _TRAILING_VALUES.match(s)
        if m and not looks_like_value(s):
            toks.append(Tok(clean_raw(m.group("label")), loc))
            # positions (in the unstripped line) let a blank cell of `pdftotext -layout` show
            # as a gap between columns
            off = len(line) - len(line.lstrip()) + m.start("vals")
            aligned = _ALIGNED.search(s) is not None
            for k, v in enumerate(re.finditer(r"\S+", m.group("vals"))):
                toks.append(Tok(v.group(), f"{loc}/v{k + 1}",
                                x=off + v.start() + len(v.group()) / 2 if aligned else None))
            continue
        # a bare run of numbers on one line ("2 0 5 2 9 …", table 四 in PDF text)
        if len(s.split()) > 1 and all(looks_like_value(p) for p in s.split()):
            off = len(line) - len(line.lstrip())
            aligned = _ALIGNED.search(s) is not None
            for k, v in enumerate(re.finditer(r"\S+", s)):
                toks.append(Tok(v.group(), f"{loc}/v{k + 1}",
                                x=off + v.start() + len(v.group()) / 2 if aligned else None))
            continue
        # column-aligned header words ("信息内容      本年制发件数      本年废止件数"): one token
        # each, with its position; a justified label ("规    章") stays whole
        pieces = list(re.finditer(r"\S+(?: \S+)*", line)) if re.search(r"\S(?: {2,}|\t)\S", s) else []
        if len(pieces) > 1 and all(len(p.group()) >= 2 for p in pieces):
            for k, p in enumerate(pieces):
                toks.append(Tok(clean_raw(p.group()), f"{loc}/w{k + 1}", x=p.start() + len(p.group()) / 2))
            continue
        toks.append(Tok(clean_raw(s), loc))
        if len(toks) > MAX_TOKENS:
            break
    return toks, lines


# ------------------------------------------------------------------ PDF
_SPLIT_NUMBER = re.compile(r"(?<=\d)\s*\n\s*(?=\d)")


def _pdf_cell(t) -> str:
    if t is None:
        return ""
    return clean_raw(_SPLIT_NUMBER.sub("", str(t)))


def _layout_text(page) -> str:
    """Page text with columns kept (pdfplumber layout=True), blank margin lines dropped."""
    txt = page.extract_text(layout=True, x_density=4, y_density=13) or ""
    return "\n".join(ln.rstrip() for ln in txt.splitlines() if ln.strip())


_NESTING_BOUND = False


def _bound_pdfminer_nesting() -> None:
    """Make pdfminer's parsers (objects, content streams, CMaps) refuse nesting deeper than
    MAX_PDF_NESTING instead of building it level by level (a patch of its one push method)."""
    global _NESTING_BOUND
    if _NESTING_BOUND:
        return
    from pdfminer.psparser import PSStackParser

    start_type = PSStackParser.start_type

    def bounded_start_type(self, pos, type):
        if len(self.context) >= MAX_PDF_NESTING:
            raise LimitExceeded("too_deep", f"PDF arrays/dictionaries nested deeper than "
                                            f"{MAX_PDF_NESTING} levels (at byte {pos}); not read")
        return start_type(self, pos, type)

    PSStackParser.start_type = bounded_start_type
    _NESTING_BOUND = True


def _limit_in(e: BaseException) -> LimitExceeded | None:
    """The LimitExceeded behind an exception (pdfplumber wraps pdfminer's errors), if any."""
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, LimitExceeded):
            return e
        nxt = next((a for a in e.args if isinstance(a, BaseException)), None)
        e = nxt or e.__cause__ or e.__context__
        seen += 1
    return None


def _table_finding_risk(page) -> str | None:
    """Why pdfplumber's table finding must be skipped on this page (None: it is cheap enough)."""
    n = len(page.lines) + len(page.rects) + len(page.curves)
    if n > MAX_PDF_PAGE_EDGES:
        return f"{n} ruling lines/rects > {MAX_PDF_PAGE_EDGES}"
    h, v = set(), set()
    for e in page.edges:
        if e["orientation"] == "h":
            h.add(round(e["top"] / 3))     # pdfplumber snaps rulings within 3 pt into one
        else:
            v.add(round(e["x0"] / 3))
    if len(h) * len(v) > MAX_PDF_GRID_CROSSINGS:
        return f"{len(h)}×{len(v)} rulings cross > {MAX_PDF_GRID_CROSSINGS} times"
    return None


def pdf_stream(data: bytes) -> tuple[list[Tok], list[Grid], list[str], int, list[Problem]]:
    """Ruled tables via pdfplumber (merged cells come back as None → span copies), text lines
    outside the tables. Tables continuing across pages simply continue the stream.
    Bounded: the first MAX_PDF_PAGES pages are read; a page with too many rulings gets no table
    finding (its text is read), a page with too many characters is read up to the cap; each
    such cut is a warning. Raises LimitExceeded for nesting deeper than MAX_PDF_NESTING.
    Returns (tokens, grids, lines, page count, warnings)."""
    import pdfplumber
    from pdfplumber.utils import extract_text as chars_text

    _bound_pdfminer_nesting()
    toks: list[Tok] = []
    grids: list[Grid] = []
    lines: list[str] = []
    skipped: list[str] = []     # "p3: why" for pages without table finding
    capped: list[int] = []      # pages whose characters were cut
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as e:
        limit = _limit_in(e)
        if limit:
            raise limit from e
        raise
    with pdf:
        npages = len(pages)
        for pno, page in enumerate(pages[:MAX_PDF_PAGES], 1):
            try:
                items = _pdf_page_items(page, pno, skipped, capped, chars_text)
            finally:
                page.close()   # drop the page's parsed objects: memory stays one page deep
            for _, kind, payload in items:
                if kind == "grid":
                    add_grid(payload, grids, toks, lines)
                else:
                    t, ls = text_stream(payload, f"pdf:p{pno}")
                    for tk in t:
                        tk.locator = tk.locator.replace("line 1", f"line {len(lines) + 1}", 1)
                    toks.extend(t)
                    lines.extend(ls)
    warnings = []
    if npages > MAX_PDF_PAGES:
        warnings.append(Problem.warning(
            "pages_capped", f"the PDF has {npages} pages; the first {MAX_PDF_PAGES} were read"))
    if skipped:
        warnings.append(Problem.warning(
            "table_finding_skipped", f"no table finding on {len(skipped)} page(s), text read instead: "
                                     + "; ".join(skipped[:5])))
    if capped:
        warnings.append(Problem.warning(
            "chars_capped", f"page(s) {', '.join(map(str, capped[:10]))} have more than "
                            f"{MAX_PDF_PAGE_CHARS} characters; read up to the cap"))
    return toks, grids, lines, npages, warnings


def _pdf_string(v) -> str | None:
    """A PDF text string: UTF-16 with its BOM (WPS and Word write Chinese titles so), else
    PDFDocEncoding/UTF-8."""
    if isinstance(v, str):
        return v.strip() or None
    if not isinstance(v, (bytes, bytearray)):
        return None
    b = bytes(v)
    try:
        if b[:2] == b"\xfe\xff":
            s = b[2:].decode("utf-16-be")
        elif b[:2] == b"\xff\xfe":
            s = b[2:].decode("utf-16-le")
        else:
            s = b.decode("utf-8")
    except UnicodeDecodeError:
        s = b.decode("latin-1")
    return s.replace("\x00", "").strip() or None


def pdf_info(data: bytes) -> dict[str, str]:
    """The PDF document information (Title, Author, Subject…) as text, for metadata fallbacks.
    Empty when the file has none or it cannot be read."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    _bound_pdfminer_nesting()
    out: dict[str, str] = {}
    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
        for info in doc.info[:4]:
            for k, v in list(resolve1(info).items())[:50]:
                s = _pdf_string(resolve1(v))
                if s and len(s) <= 500 and k not in out:
                    out[str(k)] = s
    except Exception:  # noqa: BLE001 - metadata is a fallback, never a reason to fail
        return {}
    return out


class _CharRows:
    """A page's characters ordered by vertical centre, so that a table row's characters are found
    by bisection instead of a scan of the whole page per row (pdfplumber's `Table.extract` scans;
    with ~10 rows a table and 2-3 tables a page, that scan was a third of its time)."""

    def __init__(self, chars: list[dict]):
        mids = sorted(((c["top"] + c["bottom"]) / 2, i) for i, c in enumerate(chars))
        self.keys = [m for m, _ in mids]
        self.order = [i for _, i in mids]
        self.chars = chars

    def between(self, top: float, bottom: float) -> list[dict]:
        """Characters whose vertical centre is in [top, bottom), in page order."""
        lo, hi = bisect_left(self.keys, top), bisect_left(self.keys, bottom)
        return [self.chars[i] for i in sorted(self.order[lo:hi])]


def _table_texts(table, rows: _CharRows, chars_text) -> list[list[str | None]]:
    """`table.extract()` with the same result: a character belongs to the cell holding its centre
    (x0 <= centre < x1, top <= centre < bottom), a merged cell is None, an empty one ''."""
    out = []
    for row in table.rows:
        x0, top, x1, bottom = row.bbox
        row_chars = [c for c in rows.between(top, bottom) if x0 <= (c["x0"] + c["x1"]) / 2 < x1]
        arr: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                arr.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell   # a cell may be shorter than its row: both tests
            mine = [c for c in row_chars if cx0 <= (c["x0"] + c["x1"]) / 2 < cx1
                    and ctop <= (c["top"] + c["bottom"]) / 2 < cbottom]
            arr.append(_pdf_cell_text(mine, chars_text))
        out.append(arr)
    return out


def _pdf_cell_text(chars: list[dict], chars_text) -> str:
    """pdfplumber's text of a cell's characters. Two cells in three hold one character (a digit):
    its text is that character's, as pdfplumber gives it (a ligature expanded, a blank dropped),
    without building words and lines for it."""
    if len(chars) != 1:
        return chars_text(chars) if chars else ""
    from pdfplumber.utils.text import LIGATURES
    t = chars[0]["text"] or ""
    return "" if t.isspace() else LIGATURES.get(t, t)


def _pdf_page_items(page, pno: int, skipped: list, capped: list, chars_text) -> list[tuple]:
    """One page → [(top, "grid"|"line", Grid|text)] in reading order."""
    try:
        nchars = len(page.chars)
    except Exception as e:  # noqa: BLE001 - a page whose content cannot be parsed has no text
        if _limit_in(e):
            raise _limit_in(e) from e
        return []
    if nchars > MAX_PDF_PAGE_CHARS:
        capped.append(pno)
        skipped.append(f"p{pno}: {nchars} characters")
        try:
            text = chars_text(page.chars[:MAX_PDF_PAGE_CHARS]) or ""
        except Exception:  # noqa: BLE001
            text = ""
        return [(k, "line", ln) for k, ln in enumerate(text.splitlines())]
    try:
        risk = _table_finding_risk(page)
    except Exception:  # noqa: BLE001
        risk = None
    found = []
    if risk:
        skipped.append(f"p{pno}: {risk}")
    else:
        try:
            found = page.find_tables()
        except Exception:  # noqa: BLE001 - a malformed page still gives its text
            found = []
    boxes = [t.bbox for t in found]
    items = []  # (top, kind, payload)
    rows = _CharRows(page.chars) if found else None
    for ti, t in enumerate(found, 1):
        raw = _table_texts(t, rows, chars_text)
        g = Grid(f"pdf:p{pno}/table[{ti}]")
        for row in raw:
            g.rows.append([GCell(_pdf_cell(c), copy=c is None) for c in row])
        items.append((t.bbox[1], "grid", g))

    def outside(obj, boxes=boxes):
        x0, top, x1, bottom = obj["x0"], obj["top"], obj["x1"], obj["bottom"]
        cx, cy = (x0 + x1) / 2, (top + bottom) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

    try:
        tp = page.filter(outside) if boxes else page
        if boxes:
            # line tops for ordering against tables; the plain text only if there are none
            wlines = tp.extract_text_lines() if hasattr(tp, "extract_text_lines") else []
            words_text = "" if wlines else (tp.extract_text(keep_blank_chars=False) or "")
        else:
            # no ruled table on the page: Word/WPS tables without borders are only text;
            # the layout rendering keeps columns aligned, so blank cells stay visible
            words_text, wlines = _layout_text(tp), []
    except Exception:  # noqa: BLE001
        words_text, wlines = "", []
    if wlines:
        for ln in wlines:
            items.append((ln["top"], "line", ln["text"]))
    else:
        for k, ln in enumerate(words_text.splitlines()):
            items.append((k, "line", ln))
    items.sort(key=lambda x: (x[0], 0 if x[1] == "line" else 1))
    return items


# ------------------------------------------------------------------ DOCX
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _w_text(el) -> str:
    parts = []
    for node in el.iter():
        if node.tag == _W + "t" and node.text:
            parts.append(node.text)
        elif node.tag in (_W + "br", _W + "cr", _W + "tab"):
            parts.append(" ")
        elif node.tag == _W + "p":
            parts.append(" ")
    return clean_raw("".join(parts))


def _docx_table(tbl, prefix: str) -> Grid:
    """w:tbl → grid; gridSpan = colspan, vMerge continue = copy of the cell above."""
    g = Grid(prefix)
    for tr in tbl.iterchildren(_W + "tr"):
        row: list[GCell] = []
        for tc in tr.iterchildren(_W + "tc"):
            pr = tc.find(_W + "tcPr")
            span, vcont = 1, False
            if pr is not None:
                gs = pr.find(_W + "gridSpan")
                if gs is not None:
                    try:
                        span = max(1, min(int(gs.get(_W + "val", "1")), 200))
                    except ValueError:
                        span = 1
                vm = pr.find(_W + "vMerge")
                if vm is not None and vm.get(_W + "val", "continue") == "continue":
                    vcont = True
            c = len(row)
            if vcont and g.rows and c < len(g.rows[-1]):
                above = g.rows[-1][c]
                cells = [GCell(above.text, copy=True) for _ in range(span)]
            else:
                text = _w_text(tc)
                cells = [GCell(text)] + [GCell(text, copy=True) for _ in range(span - 1)]
            row.extend(cells)
        g.rows.append(row)
    return g


def docx_stream(data: bytes) -> tuple[list[Tok], list[Grid], list[str]]:
    import docx

    d = docx.Document(io.BytesIO(data))
    body = d.element.body
    toks: list[Tok] = []
    grids: list[Grid] = []
    lines: list[str] = []
    nt = 0

    def walk(parent):
        nonlocal nt
        for el in parent.iterchildren():
            if el.tag == _W + "p":
                t = _w_text(el)
                if t:
                    lines.append(t)
                    toks.append(Tok(t, f"docx:para {len(lines)}"))
            elif el.tag == _W + "tbl":
                nested = el.find(".//" + _W + "tbl")
                if nested is not None:
                    for tr in el.iterchildren(_W + "tr"):
                        for tc in tr.iterchildren(_W + "tc"):
                            walk(tc)
                    continue
                nt += 1
                g = _docx_table(el, f"docx:table[{nt}]")
                add_grid(g, grids, toks, lines)
            elif el.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
                walk(el)

    walk(body)
    return toks, grids, lines


# ------------------------------------------------------------------ spreadsheets
def _num_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    return clean_raw(str(v))


def xlsx_stream(data: bytes) -> tuple[list[Tok], list[Grid], list[str]]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    toks, grids, lines = [], [], []
    for si, ws in enumerate(wb.worksheets, 1):
        g = Grid(f"xlsx:sheet[{si}]")
        covered: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        covered.add((r, c))
        maxr = min(ws.max_row or 0, MAX_GRID_CELLS // max(1, ws.max_column or 1))
        for r, row in enumerate(ws.iter_rows(min_row=1, max_row=maxr, values_only=True), 1):
            g.rows.append([GCell(_num_text(v), copy=(r, c) in covered,
                                 number=float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
                           for c, v in enumerate(row, 1)])
        add_grid(g, grids, toks, lines)
    return toks, grids, lines


def xls_stream(data: bytes) -> tuple[list[Tok], list[Grid], list[str]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except Exception:  # noqa: BLE001 - some writers' files fail with formatting info
        book = xlrd.open_workbook(file_contents=data)
    toks, grids, lines = [], [], []
    for si in range(book.nsheets):
        sh = book.sheet_by_index(si)
        covered = set()
        for (r0, r1, c0, c1) in getattr(sh, "merged_cells", []) or []:
            for r in range(r0, r1):
                for c in range(c0, c1):
                    if (r, c) != (r0, c0):
                        covered.add((r, c))
        g = Grid(f"xls:sheet[{si + 1}]")
        for r in range(min(sh.nrows, MAX_GRID_CELLS // max(1, sh.ncols))):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                v = cell.value
                if cell.ctype == xlrd.XL_CELL_EMPTY or cell.ctype == xlrd.XL_CELL_BLANK:
                    v = None
                row.append(GCell(_num_text(v), copy=(r, c) in covered,
                                 number=float(v) if cell.ctype == xlrd.XL_CELL_NUMBER else None))
            g.rows.append(row)
        add_grid(g, grids, toks, lines)
    return toks, grids, lines


# ------------------------------------------------------------------ DOC (antiword)
def doc_text(data: bytes, timeout: float = 60) -> str:
    """antiword renders Word 97-2003 files as text; tables come out as `|a|b|` rows, which the
    text reader handles like the seeds' pipe layout."""
    with tempfile.NamedTemporaryFile(suffix=".doc") as f:
        f.write(data)
        f.flush()
        p = subprocess.run(["antiword", "-m", "UTF-8.txt", "-w", "0", f.name],
                           capture_output=True, timeout=timeout, check=False)
    if p.returncode != 0 and not p.stdout:
        raise ValueError(p.stderr.decode("utf-8", "replace").strip() or "antiword failed")
    return p.stdout.decode("utf-8", "replace")
