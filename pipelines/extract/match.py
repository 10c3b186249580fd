"""Token stream → canonical cells, by labels (canon.py), never by position alone.

Reading model (works for HTML grids, DOCX/PDF/XLS tables and the text renderings alike): a row
is a label followed by its values. The table being read (t2/t3/t4) is set by section headings
and header cues (第二十条…, 信息内容, 申请人情况, 行政复议…) and by distinctive row labels.
Columns come from the header labels: aligned by grid column where the source has a real grid,
otherwise in printed order of the current header (table 二) or the official order (table 三's
seven columns). Table 四's single row of 15 numbers is read in the official order under its
3-level header — the one place position alone decides. Unknown labels with numbers inside a
table become `extra:<label>` rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from nianbao import canon
from nianbao.canon import EMPTY, EXTRA_PREFIX, NUMERIC, TEXT, ZERO, label_key

from .cells import parse_cell
from .decode import for_matching
from .grid import Tok

T3_COL_ORDER = tuple(k.key for k in canon.T3_COLS)


def norm_key(text: str) -> str:
    return label_key(for_matching(text))


@lru_cache(maxsize=None)
def _row_index(table: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    exact = canon.keys_by_label(canon.ROWS[table])
    prefixes = sorted(exact.items(), key=lambda kv: -len(kv[0]))
    return exact, prefixes


@lru_cache(maxsize=None)
def _col_index(table: str) -> dict[str, str]:
    return canon.keys_by_label(canon.COLS[table])


def match_row(table: str, key: str) -> str | None:
    """Canonical row key for a normalised label: exact, else the longest canonical label the
    printed one starts with (annotations like （须与2020年度年报结转数一致）), else a printed
    label that is a unique truncation of a canonical one."""
    if not key:
        return None
    exact, prefixes = _row_index(table)
    if key in exact:
        return exact[key]
    for lab, rk in prefixes:
        # a short label only with a bracketed note after it: 规章（设区的市…应提供相关数据）
        if key.startswith(lab) and (len(lab) >= 4 or key[len(lab):].startswith("（")):
            return rk
    if len(key) >= 6:
        hits = {rk for lab, rk in prefixes if lab.startswith(key)}
        if len(hits) == 1:
            return hits.pop()
    return None


@lru_cache(maxsize=None)
def _group_keys() -> tuple[str, ...]:
    return tuple(label_key(g) for g in canon.T3_GROUPS.values())


def _is_group_piece(piece: str) -> bool:
    """A piece of a label that only names a row group (（三）不予公开, 三、本年度办理结果) or a
    fragment of one — PDF text prints a merged left cell in pieces down the margin ("三、本年",
    "度办理结", "果")."""
    k = label_key(piece)
    return not k or any(k in g for g in _group_keys())


@lru_cache(maxsize=65536)
def match_label(table: str, text: str) -> str | None:
    """Canonical row key for a printed label that may carry group headings before it
    ("（三）不予公开 1.属于国家秘密", "度办理结  5.属于三类内部事务信息") or be a whole label.
    Group pieces are dropped only when what remains is an exact label, so a 2019 "（六）其他处理"
    row stays other.total and "（六）其他处理 3.其他" becomes other.other."""
    key = norm_key(text)
    exact, _ = _row_index(table)
    if key in exact:
        return exact[key]
    pieces = for_matching(text).split()
    if len(pieces) > 1:
        for s in range(1, len(pieces)):
            if not _is_group_piece(pieces[s - 1]):
                break
            rest = label_key(" ".join(pieces[s:]))
            if rest in exact:
                return exact[rest]
        for s in range(1, len(pieces)):
            if not _is_group_piece(pieces[s - 1]):
                break
            rk = match_row(table, label_key(" ".join(pieces[s:])))
            if rk:
                return rk
        # a PDF layout line can carry a group fragment between two lines of one label:
        # "1.申请人无正当理由逾期不补正、" / "（六）其他处   行政机关不再处理其政府信息公开"
        kept = [p for p in pieces if not _is_group_piece(p)]
        if 0 < len(kept) < len(pieces):
            rk = match_row(table, label_key(" ".join(kept)))
            if rk:
                return rk
    return match_row(table, key)


def edit_distance(a: str, b: str, bound: int) -> int:
    """Levenshtein distance, or bound + 1 as soon as it must exceed `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > bound:
            return bound + 1
        prev = cur
    return prev[-1]


_LEAD_NUMBER = re.compile(r"^\s*[（(]?([一二三四五六七八九十]+|\d+)\s*[)）、.．]")
FUZZY_MIN_LEN = 4     # shorter labels are too alike (其他, 重复申请…) to guess
FUZZY_RATIO = 4       # at most one edit per four characters of the canonical label
FUZZY_REACH = 3       # the row must come at most this many canonical rows after the last one read


def _lead_number(text: str) -> str | None:
    m = _LEAD_NUMBER.match(for_matching(text))
    return m.group(1) if m else None


def fuzzy_candidates(table: str, text: str) -> list[tuple[int, str, str]]:
    """(distance, row key, label) of canonical rows whose label is within the bounded edit
    distance of a printed label (a typo: 2.其他法律行政止公开); the printed numbering, when
    there is one, must be the canonical one."""
    pieces = for_matching(text).split()
    printed = [" ".join(pieces)]
    while len(pieces) > 1 and _is_group_piece(pieces[0]):
        pieces = pieces[1:]   # group headings before the label (（三）不予公开 2.…)
        printed.append(" ".join(pieces))
    out = set()
    for pr in printed:
        key, num = label_key(pr), _lead_number(pr)
        if len(key) < FUZZY_MIN_LEN:
            continue
        for k in canon.ROWS[table]:
            for lab in k.labels():
                lk = label_key(lab)
                bound = max(1, len(lk) // FUZZY_RATIO)
                if len(lk) < FUZZY_MIN_LEN or (num and _lead_number(lab) not in (None, num)):
                    continue
                d = edit_distance(key, lk, bound)
                if d <= bound:
                    out.add((d, k.key, lab))
    return sorted(out)


def match_col(table: str, key: str) -> str | None:
    if not key:
        return None
    idx = _col_index(table)
    if key in idx:
        return idx[key]
    if table == "t2":
        for lab, ck in sorted(idx.items(), key=lambda kv: -len(kv[0])):
            if len(lab) >= 4 and key.startswith(lab):
                return ck
    return None


# ------------------------------------------------------------------ section headings
_ORDINAL = re.compile(r"^\s*[（(]?([一二三四五六七八九十]+)[)）、.．\s]")
_ORD_VAL = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}


@lru_cache(maxsize=None)
def _section_keys() -> list[tuple[str, str]]:
    out = []
    for k in canon.SECTIONS:
        for lab in k.labels():
            out.append((label_key(lab), k.key))
    return sorted(out, key=lambda kv: -len(kv[0]))


def heading_section(text: str) -> str | None:
    """s1..s6 when a line is one of the six section headings (variants, wrong/missing ordinals
    allowed); None otherwise. Narrative sentences are not headings."""
    t = for_matching(text).strip()
    if not t or len(t) > 60:
        return None
    m = _ORDINAL.match(t)
    has_ord = bool(m) and not t.startswith(("(", "（"))
    key = label_key(t)
    for lab, sk in _section_keys():
        if key == lab or (key.startswith(lab) and (has_ord or len(key) - len(lab) <= 2)):
            return sk
    if has_ord:
        if "存在的主要问题" in key or ("存在" in key and "问题" in key and "改进" in key):
            return "s5"
        if _T4_REVIEW in key and "诉讼" in key and len(key) < 30:
            return "s4"
        if key.startswith("其他需要报告"):
            return "s6"
    return None


_SECTION_CTX = {"s1": None, "s2": "t2", "s3": "t3", "s4": "t4", "s5": None, "s6": None}


# ------------------------------------------------------------------ matcher
@dataclass
class Result:
    cells: list[dict] = field(default_factory=list)
    seen: set = field(default_factory=set)
    t2_cols: set = field(default_factory=set)   # column keys printed in table 二 headers
    t2_rows: set = field(default_factory=set)
    t3_rows: set = field(default_factory=set)
    notes: list = field(default_factory=list)   # (code, message): warnings for the document

    def add(self, table, row, col, tok: Tok):
        if (table, row, col) in self.seen:
            return
        raw = tok.text
        if tok.number is not None and col in canon.T2_DECIMAL_COLS:
            raw = repr(float(tok.number))  # a spreadsheet number in a decimal column keeps its decimal form
        value, sem = parse_cell(raw, col)
        self.seen.add((table, row, col))
        self.cells.append({"table": table, "row": row, "col": col, "raw": raw,
                           "value": value, "semantic": sem, "locator": tok.locator})


_NUMBERED = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十]+[)）、.．]|[（(]\d+[)）]|\d+\s*[.．、)）])")
_T2_CUE = re.compile(r"^第二十条第[（(]?[一二三四五六七八九十\d]+[)）]?项")
_T3_CUES = ("勾稽关系", "申请人情况")
_T3_SUBTOTAL_KEYS = {label_key(x) for x in canon.T3_SUBTOTAL_LABELS}
# Header cues that open table 三 / table 四 when no table context is known yet (labels: canon).
_T3_FIRST_COL = label_key(canon.col_label("t3", "natural_person"))
_T4_REVIEW = label_key(canon.row_label("t4", "admin_review"))
_T4_HEADER_KEYS = (_T4_REVIEW, label_key(canon.T4_ROW_GROUP_LITIGATION),
                   label_key(canon.col_label("t4", "upheld")))


# A table 四 whose numbers are all blank is still printed when all its header words are there.
_T4_CUES = (_T4_REVIEW, label_key(canon.T4_ROW_GROUP_LITIGATION), label_key(canon.col_label("t4", "upheld")),
            label_key(canon.col_label("t4", "pending")))
BLANK_T3_MIN_ROWS = 10   # label lines of table 三 without values that make a blank table, not prose


class Matcher:
    def __init__(self, toks: list[Tok]):
        self.toks = toks
        self.vals = [None] * len(toks)   # cache: is value-like
        self.keys = [None] * len(toks)
        self.res = Result()
        self.ctx: str | None = None
        self.t2_cols: list[str] = []              # current 表二 sub-table columns, printed order
        self.t2_hdr: dict[int, dict[int, str]] = {}   # grid → col → key (latest header row)
        self.t2_hdr_row: dict[int, int] = {}
        self.t3_hdr: dict[int, dict[int, str]] = {}
        self.t4_done = False
        self.t3_subtotal = False   # a text rendering printed a 法人小计 header
        self.t2_hdr_x: dict[str, float] = {}   # 表二 header word centres in a layout text dump
        self.col_x: dict = {}    # (table, columns) → value centres of the last complete text row
        self.width: dict[int, int] = {}   # grid → columns
        for t in toks:
            if t.grid is not None:
                self.width[t.grid] = max(self.width.get(t.grid, 0), t.col + 1)
        self.t3_last_hdr: tuple[int, dict[int, str]] | None = None   # (width, col → key)
        self.last_row: dict[str, str] = {}   # table → canonical row read last (fuzzy matching)
        self.bare_t3: dict[str, int] = {}    # table 三 labels of a text rendering with no values
        self.t4_cues: dict[str, int] = {}    # table 四 header words seen → token

    def is_value(self, i: int) -> bool:
        v = self.vals[i]
        if v is None:
            v = self.vals[i] = parse_cell(self.toks[i].text)[1] != TEXT
        return v

    def key(self, i: int) -> str:
        k = self.keys[i]
        if k is None:
            k = self.keys[i] = norm_key(self.toks[i].text)
        return k

    def values_after(self, i: int) -> list[int]:
        """Indices of the value tokens that follow label i (same grid row for grid cells)."""
        out = []
        t0 = self.toks[i]
        j = i + 1
        while j < len(self.toks):
            t = self.toks[j]
            if t0.grid is not None and (t.grid != t0.grid or t.row != t0.row):
                break
            if t0.grid is None and t.grid is not None:
                break
            if not self.is_value(j):
                break
            out.append(j)
            j += 1
        return out

    # -------------------------------------------------------------- emitters
    def emit_t3(self, row: str, idx: list[int]) -> bool:
        g = self.toks[idx[0]].grid if idx else None
        hdr = self.t3_hdr.get(g) if g is not None else None
        if hdr and len(set(hdr.values())) >= len(T3_COL_ORDER) - 1:
            self.t3_last_hdr = (self.width.get(g, 0), hdr)
        elif g is not None and self.t3_last_hdr and self.t3_last_hdr[0] == self.width.get(g):
            # table 三 continued on the next page: same ruled columns, header left behind
            hdr = self.t3_last_hdr[1]
        # by header label when the grid has one (an extra 法人小计 column is skipped, a missing
        # 总计 column is simply absent); at least the six applicant columns must be named
        if hdr and len(set(hdr.values())) >= len(T3_COL_ORDER) - 1:
            mapped = [(hdr.get(self.toks[j].col), j) for j in idx]
            if sum(1 for c, _ in mapped if c) >= len(set(hdr.values())):
                for c, j in mapped:
                    if c:
                        self.res.add("t3", row, c, self.toks[j])
                self.res.t3_rows.add(row)
                self.last_row["t3"] = row
                return True
        if self.t3_subtotal and len(idx) == len(T3_COL_ORDER) + 1:
            idx = idx[:6] + idx[7:]   # the printed 法人小计 sits after the five 法人 columns
        extra = len(idx) - len(T3_COL_ORDER)
        if g is not None and extra > 0 and all(
                parse_cell(self.toks[j].text)[1] == EMPTY for j in idx[:extra]):
            # blank label-column cells before the seven values (a one-row （六）其他处理 whose
            # label spans two label columns): the values are the rightmost seven, never shifted
            idx = idx[extra:]
        placed = self.place(("t3",), T3_COL_ORDER, idx)
        if placed is None:
            return False  # blanks vanished from a text rendering: position would lie
        for c, j in placed:
            self.res.add("t3", row, c, self.toks[j] if j >= 0 else self.gap(idx, c))
        self.res.t3_rows.add(row)
        self.last_row["t3"] = row
        return True

    def place(self, where: tuple, cols, idx: list[int]) -> list[tuple[str, int]] | None:
        """Columns for the values of a text row: in order when all are there; when fewer values
        than columns, by position under the columns of the last complete row of the same
        (sub)table (`pdftotext -layout` leaves a gap for a blank cell; j = -1 marks it); None
        when that cannot be known."""
        cols = list(cols)
        xs = [self.toks[j].x for j in idx]
        full = len(idx) >= len(cols)
        if full:
            if len(idx) == len(cols) and all(x is not None for x in xs):
                self.col_x[(where, tuple(cols))] = xs
            return list(zip(cols, idx))
        ref = self.col_x.get((where, tuple(cols)))
        if ref is None and where == ("t2",) and all(c in self.t2_hdr_x for c in cols):
            ref = [self.t2_hdr_x[c] for c in cols]
        if not ref or any(x is None for x in xs) or not idx:
            return None
        gap = min((b - a for a, b in zip(ref, ref[1:])), default=8.0)
        out, used = [], set()
        for j, x in zip(idx, xs):
            k = min(range(len(ref)), key=lambda n: abs(ref[n] - x))
            if abs(ref[k] - x) > gap / 2 or k in used or (used and k < max(used)):
                return None
            used.add(k)
            out.append((cols[k], j))
        out += [(c, -1) for n, c in enumerate(cols) if n not in used]
        return sorted(out, key=lambda cj: cols.index(cj[0]))

    def gap(self, idx: list[int], col: str) -> Tok:
        t = self.toks[idx[0]]
        return Tok("", t.locator.rsplit("/", 1)[0] + f"/gap:{col}")

    def emit_t2(self, row: str, idx: list[int]) -> bool:
        g = self.toks[idx[0]].grid if idx else None
        hdr = self.t2_hdr.get(g) if g is not None else None
        done = False
        if hdr:
            for j in idx:
                c = hdr.get(self.toks[j].col)
                if c:
                    self.res.add("t2", row, c, self.toks[j])
                    done = True
        if not done:
            cols = self.t2_cols
            if not cols and not row.startswith(EXTRA_PREFIX):
                for fmt in (canon.FORMAT_2021, canon.FORMAT_2019):
                    lay = canon.T2_LAYOUT[fmt].get(row)
                    if lay and len(lay) == len(idx):
                        cols = list(lay)
                        break
            placed = self.place(("t2",), cols, idx) if cols else []
            if placed is None:
                placed = []   # cells vanished from a text rendering: position would lie
            for c, j in placed:
                self.res.add("t2", row, c, self.toks[j] if j >= 0 else self.gap(idx, c))
                done = True
        if done:
            self.res.t2_rows.add(row)
            self.last_row["t2"] = row
        return done

    def emit_t4_flat(self, idx: list[int]) -> bool:
        # header padding (empty cells after the last header label) precedes the numbers
        while len(idx) > len(canon.T4_ORDER) and parse_cell(self.toks[idx[0]].text)[1] == EMPTY:
            idx = idx[1:]
        if len(idx) < len(canon.T4_ORDER):
            return False
        if all(parse_cell(self.toks[j].text)[1] == EMPTY for j in idx[:len(canon.T4_ORDER)]) \
                and not self._whole_grid_row(idx):
            return False  # header padding, not the numbers (a ruled row of 15 blanks is the numbers)
        for (r, c), j in zip(canon.T4_ORDER, idx):
            self.res.add("t4", r, c, self.toks[j])
        self.t4_done = True
        return True

    def _whole_grid_row(self, idx: list[int]) -> bool:
        """The tokens are exactly one grid row of 15 cells (a printed table 四 left blank)."""
        if len(idx) != len(canon.T4_ORDER) or self.toks[idx[0]].grid is None:
            return False
        a, b = idx[0], idx[-1]
        t = self.toks[a]
        same = [k for k in (a - 1, b + 1) if 0 <= k < len(self.toks)
                and self.toks[k].grid == t.grid and self.toks[k].row == t.row]
        return not same and self.toks[b].row == t.row

    def emit_t4_row(self, row: str, idx: list[int]) -> bool:
        if len(idx) < len(canon.T4_COLS):
            return False
        for c, j in zip((k.key for k in canon.T4_COLS), idx):
            self.res.add("t4", row, c, self.toks[j])
        return True

    # -------------------------------------------------------------- header cues
    def header(self, i: int, key: str) -> bool:
        tok = self.toks[i]
        if _T2_CUE.match(key) or key == "信息内容":
            self.ctx = "t2"
            if _T2_CUE.match(key):
                self.t2_cols = []
                self.t2_hdr_x = {}
                if tok.grid is not None:
                    self.t2_hdr.pop(tok.grid, None)
            return True
        if any(c in key for c in _T3_CUES):
            self.ctx = "t3"
            return True
        if self.ctx in ("t2", None):
            ck = match_col("t2", key)
            if ck:
                self.ctx = "t2"
                if tok.grid is not None:
                    if self.t2_hdr_row.get(tok.grid) != tok.row:
                        self.t2_hdr[tok.grid] = {}
                        self.t2_hdr_row[tok.grid] = tok.row
                        self.t2_cols = []
                    self.t2_hdr[tok.grid][tok.col] = ck
                elif self.t2_cols and self.t2_cols[-1] == ck:
                    return True
                if ck not in self.t2_cols:
                    self.t2_cols.append(ck)
                    if tok.x is not None:
                        self.t2_hdr_x[ck] = tok.x
                self.res.t2_cols.add(ck)
                return True
        if self.ctx == "t3" and tok.grid is None and key in _T3_SUBTOTAL_KEYS:
            self.t3_subtotal = True
            return True
        if self.ctx == "t3" or (self.ctx is None and key == _T3_FIRST_COL):
            ck = match_col("t3", key)
            if ck:
                self.ctx = "t3"
                if tok.grid is not None:
                    self.t3_hdr.setdefault(tok.grid, {})[tok.col] = ck
                return True
        if key in _T4_HEADER_KEYS and self.ctx != "t4" \
                and not self.t4_done:
            self.ctx = "t4"
            return True
        return False

    # -------------------------------------------------------------- main loop
    def run(self) -> Result:
        i, n = 0, len(self.toks)
        while i < n:
            if self.is_value(i):
                if self.ctx == "t4" and not self.t4_done:
                    run = [i] + self.values_after(i) if self.toks[i].grid is not None else self._run(i)
                    if self.emit_t4_flat(run):
                        self.ctx = None
                        i = run[-1] + 1
                        continue
                i += 1
                continue
            key = self.key(i)
            sec = heading_section(self.toks[i].text) if self.toks[i].grid is None else None
            if sec:
                self.ctx = _SECTION_CTX[sec]
                if sec == "s2":
                    self.t2_cols = []
                i += 1
                continue
            idx = self.values_after(i)
            has_num = any(parse_cell(self.toks[j].text)[1] in (NUMERIC, ZERO) for j in idx)
            if idx and self._row(i, key, idx, has_num):
                i = idx[-1] + 1
                continue
            if not idx and self._merge_label(i):
                # a label split over two lines/cells ("商业" + "企业", PDF wraps)
                i += 2
                continue
            self._note_bare(i, key, idx)
            self.header(i, key)
            i += 1
        self._blank_tables()
        return self.res

    def _note_bare(self, i: int, key: str, idx: list[int]) -> None:
        """Remember labels printed without values: a table left blank keeps only its labels."""
        if self.ctx == "t3" and not idx and self.toks[i].grid is None:
            rk = match_label("t3", self.toks[i].text)
            if rk:
                self.bare_t3.setdefault(rk, i)
        if self.ctx == "t4" or key in _T4_HEADER_KEYS:
            for cue in _T4_CUES:
                if cue in key:
                    self.t4_cues[cue] = i

    def _blank_tables(self) -> None:
        """A printed table with every cell blank is a table: its cells are EMPTY (never 0) at the
        place of their labels. Only when the table gave no cell at all, and enough of it was
        printed: BLANK_T3_MIN_ROWS row labels of table 三, every header word of table 四."""
        tables = {c["table"] for c in self.res.cells}
        if "t3" not in tables and len(self.bare_t3) >= BLANK_T3_MIN_ROWS:
            for rk in (k.key for k in canon.T3_ROWS if k.key in self.bare_t3):
                loc = self.toks[self.bare_t3[rk]].locator
                for c in T3_COL_ORDER:
                    self.res.add("t3", rk, c, Tok("", f"{loc}/gap:{c}"))
                self.res.t3_rows.add(rk)
        if "t4" not in tables and len(self.t4_cues) == len(_T4_CUES):
            loc = self.toks[max(self.t4_cues.values())].locator
            for r, c in canon.T4_ORDER:
                self.res.add("t4", r, c, Tok("", f"{loc}/gap:{r}.{c}"))

    def _run(self, i: int) -> list[int]:
        out = []
        j = i
        while j < len(self.toks) and self.is_value(j):
            out.append(j)
            j += 1
        return out

    def _merge_label(self, i: int) -> bool:
        if i + 2 >= len(self.toks) or self.toks[i].grid is not None or self.is_value(i + 1):
            return False
        if self.toks[i + 1].grid is not None:
            return False
        a, b = self.key(i), self.key(i + 1)
        if not a or not b or self.ctx is None:
            return False
        tables = [self.ctx] + [t for t in ("t3", "t2") if t != self.ctx]
        if self.ctx != "t4":
            for t in tables:
                if t == "t4":
                    continue
                if match_row(t, a) or match_row(t, b):
                    return False
        joined = norm_key(self.toks[i].text + self.toks[i + 1].text)
        for t in tables:
            if t == "t4":
                continue
            rk = match_row(t, joined)
            if rk:
                idx = self.values_after(i + 1)
                if idx:
                    self.ctx = t
                    if t == "t3":
                        return self.emit_t3(rk, idx)
                    return self.emit_t2(rk, idx)
        return False

    def _row(self, i: int, key: str, idx: list[int], has_num: bool) -> bool:
        filled = any(parse_cell(self.toks[j].text)[1] != EMPTY for j in idx)
        if not filled and self._is_col_label(key) and not _NUMBERED.match(for_matching(self.toks[i].text)):
            return False  # padding after a header cell ("总计", "其他"), not a numbered row of blanks
        order = [self.ctx] if self.ctx else []
        if self.ctx is None or (len(key) >= 4 and not self._is_col_label(key)):
            order += [t for t in ("t3", "t2", "t4") if t not in order]
        for t in order:
            rk = self.resolve_row(t, i)
            if not rk:
                continue
            if t == "t3":
                if self.emit_t3(rk, idx):
                    self.ctx = "t3"
                    return True
            elif t == "t2":
                if self.emit_t2(rk, idx):
                    self.ctx = "t2"
                    return True
            elif t == "t4" and self.ctx == "t4" and filled:
                if self.emit_t4_row(rk, idx):
                    return True
        if self.ctx == "t4" and not self.t4_done and len(idx) >= len(canon.T4_ORDER):
            if self.emit_t4_flat(idx):
                self.ctx = None
                return True
        if self.ctx in ("t2", "t3"):
            rk = self.fuzzy_row(self.ctx, i, idx)
            if rk and (self.emit_t3(rk, idx) if self.ctx == "t3" else self.emit_t2(rk, idx)):
                return True
        # a local extra row inside a table that has started
        if has_num and self.ctx in ("t2", "t3") and 0 < len(key) <= 40 and not self._is_header_like(key):
            label = self.toks[i].text
            extra = EXTRA_PREFIX + label
            if self.ctx == "t3" and (self.res.t3_rows or self.t3_hdr):
                return self.emit_t3(extra, idx)
            if self.ctx == "t2" and (self.t2_cols or self.t2_hdr):
                return self.emit_t2(extra, idx)
        return False

    def label_lines_before(self, i: int, limit: int = 4) -> list[str]:
        """Text lines right before label i with no value in between: the first lines of a label
        that wrapped ("（二）部分公开（区分处理的，只计这一" / "情形，不计其他情形）") or a group
        heading printed on its own line."""
        out: list[str] = []
        j = i - 1
        while j >= 0 and len(out) < limit:
            t = self.toks[j]
            if t.grid is not None or self.is_value(j) or len(t.text) > 60 or heading_section(t.text):
                break
            out.insert(0, t.text)
            j -= 1
        return out

    def resolve_row(self, table: str, i: int) -> str | None:
        """Row key of label i, else of label i joined with the lines before it (shortest join
        first, so a complete label on its own line never swallows its neighbour)."""
        text = self.toks[i].text
        rk = match_label(table, text)
        if rk or self.toks[i].grid is not None or table == "t4":
            return rk   # 表四's labels are short header words: never joined
        back = self.label_lines_before(i)
        for k in range(1, len(back) + 1):
            rk = match_label(table, " ".join(back[-k:] + [text]))
            if rk:
                return rk
        return None

    def fuzzy_row(self, table: str, i: int, idx: list[int]) -> str | None:
        """A misprinted label read as the canonical row it is closest to, only when the edit
        distance is bounded (fuzzy_candidates) AND its place agrees: after the last row read, at
        most FUZZY_REACH rows on, not read yet, and before the next printed label's row. The
        printed label is kept in a `label_fuzzy` warning; no row is ever invented."""
        order = [k.key for k in canon.ROWS[table]]
        prev = self.last_row.get(table)
        if prev not in order:
            return None
        p = order.index(prev)
        done = {c["row"] for c in self.res.cells if c["table"] == table}
        nxt = None
        j = idx[-1] + 1 if idx else i + 1
        if j < len(self.toks) and not self.is_value(j):
            nxt = match_label(table, self.toks[j].text)
        n = order.index(nxt) if nxt in order else len(order)
        text = self.toks[i].text
        cands = [(d, rk, lab) for d, rk, lab in fuzzy_candidates(table, text)
                 if rk not in done and p < order.index(rk) <= p + FUZZY_REACH and order.index(rk) < n]
        if not cands or (len(cands) > 1 and cands[1][0] == cands[0][0] and cands[1][1] != cands[0][1]):
            return None
        d, rk, lab = cands[0]
        self.res.notes.append(("label_fuzzy", f"{table} row printed as “{text}” read as {rk} "
                                              f"({lab}, {d} edit(s) away, after {prev})"))
        return rk

    @staticmethod
    def _is_col_label(key: str) -> bool:
        return any(match_col(t, key) for t in ("t2", "t3", "t4"))

    @staticmethod
    def _is_header_like(key: str) -> bool:
        return bool(_T2_CUE.match(key)) or key == "信息内容" or any(c in key for c in _T3_CUES)


def match_tokens(toks: list[Tok]) -> Result:
    return Matcher(toks).run()
