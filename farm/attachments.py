"""Report attachments made by the real libraries: PDF (reportlab), DOCX (python-docx),
XLSX (openpyxl), XLS (xlwt), and DOC (committed files made once with LibreOffice, see
farm/data/doc/README.txt: there is no DOC writer in Python).

Each Attachment carries `cells`: the ground truth of what the file's tables hold. Spreadsheets
store numbers as numbers, so their cells' raw is the plain number text; PDF/DOCX/DOC keep the
printed text (full-width digits, separators) exactly.
"""
from __future__ import annotations

import copy
import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from nianbao import canon

from . import grids
from .grids import Grid, GridCell


@dataclass
class Attachment:
    filename: str
    data: bytes
    mime: str
    cells: list[dict]

DOC_DIR = Path(__file__).parent / "data" / "doc"

MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "doc": "application/msword",
}


def positions(g: Grid) -> list[tuple[int, int, GridCell]]:
    """(row, col, cell) of every cell's top-left position, spans expanded as HTML does."""
    taken: set[tuple[int, int]] = set()
    out = []
    for ri, row in enumerate(g):
        ci = 0
        for c in row:
            while (ri, ci) in taken:
                ci += 1
            out.append((ri, ci, c))
            for dr in range(c.rowspan):
                for dc in range(c.colspan):
                    taken.add((ri + dr, ci + dc))
            ci += c.colspan
    return out


def report_grids(fmt: str, year: int, r: random.Random,
                 year_free: bool = False) -> list[tuple[str, Grid]]:
    """(section heading, grid) for the three tables; table 二 as one stacked grid.
    year_free: no year in any label (for the committed DOC files, served for any year)."""
    ls = grids.LabelStyle(r, breaks_in_labels=False)
    if year_free:
        ls.carry_note = False
    heads = {s.key: s.label for s in canon.SECTIONS}
    return [(heads["s2"], grids.stack(grids.t2_blocks(fmt, ls))),
            (heads["s3"], grids.t3_grid(fmt, ls, year)),
            (heads["s4"], grids.t4_grid(ls))]


def _text(c: GridCell, cells: dict) -> str:
    return cells[c.key]["raw"] if c.key is not None else c.text.replace("\n", "")


def unmerged(g: Grid) -> Grid:
    """The same table with every span replaced by empty cells (text at the top-left)."""
    full = [[GridCell() for _ in range(grids.width(g))] for _ in g]
    for ri, ci, c in positions(g):
        full[ri][ci] = GridCell(text=c.text, key=c.key, header=c.header)
    return full


def _grid_keys(tables) -> list[tuple]:
    return [c.key for _h, g in tables for row in g for c in row if c.key is not None]


def _spreadsheet_value(cell: dict):
    """What a spreadsheet cell holds: numbers as numbers, everything else as text."""
    v = cell["value"]
    if cell["semantic"] in (canon.NUMERIC, canon.ZERO) and cell["col"] != "procurement_amount":
        return v
    return cell["raw"] or None


def _spreadsheet_cells(keys, cells) -> list[dict]:
    out = []
    for k in keys:
        c = dict(cells[k])
        v = _spreadsheet_value(c)
        if isinstance(v, (int, float)):
            c["raw"] = str(v)
        out.append(c)
    return out


# ------------------------------------------------------------------ PDF
def _pdf(title: str, nar, tables, cells: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"  # a CID font: Acrobat/pdfminer map it back to Unicode
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("b", fontName=font, fontSize=11, leading=18, firstLineIndent=22,
                          wordWrap="CJK")
    head = ParagraphStyle("h", parent=body, fontSize=13, leading=22, firstLineIndent=0)
    ttl = ParagraphStyle("t", parent=body, fontSize=16, leading=26, alignment=1,
                         firstLineIndent=0)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    story = [Paragraph(title, ttl), Spacer(1, 4 * mm)]
    story += [Paragraph(p, body) for p in nar.intro]
    story.append(Paragraph(canon.SECTIONS[0].label, head))
    story += [Paragraph(p, body) for p in nar.s1]
    usable = A4[0] - 30 * mm

    class LowOnPage(Flowable):
        """Leaves only `keep` points on the current page, so table 三 (taller than that)
        always starts low and continues on the next page, as long tables do in real PDFs."""
        keep = 200

        def wrap(self, aw, ah):
            # too little room left: claim more than there is, so it moves to a fresh page
            self.height = ah - self.keep if ah > self.keep + 60 else ah + 1
            return aw, self.height

        def draw(self):
            pass

    for heading, g in tables:
        if any(c.key and c.key[0] == "t3" for row in g for c in row):
            story.append(LowOnPage())
        story.append(Paragraph(heading, head))
        w = grids.width(g)
        data = [["" for _ in range(w)] for _ in g]
        spans = []
        for ri, ci, c in positions(g):
            t = _text(c, cells)
            data[ri][ci] = Paragraph(t, small) if c.key is None else t
            if c.rowspan > 1 or c.colspan > 1:
                spans.append(("SPAN", (ci, ri), (ci + c.colspan - 1, ri + c.rowspan - 1)))
        if w == 10:  # table 三: three label columns, the last one wide
            widths = [22 * mm, 28 * mm, 48 * mm] + [(usable - 98 * mm) / 7] * 7
        elif w == 4:
            widths = [usable * 0.31] + [usable * 0.23] * 3
        else:
            widths = [usable / w] * w
        t = Table(data, colWidths=widths, repeatRows=0)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("FONTNAME", (0, 0), (-1, -1), font),
                               ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("ALIGN", (0, 0), (-1, -1), "CENTER"), *spans]))
        story.append(t)
        story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(canon.SECTIONS[4].label, head))
    story += [Paragraph(p, body) for p in nar.s5]
    story.append(Paragraph(canon.SECTIONS[5].label, head))
    story += [Paragraph(p, body) for p in nar.s6]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=title,
                            invariant=1)  # no timestamps: same spec, same bytes
    doc.build(story)
    return buf.getvalue()


# ------------------------------------------------------------------ DOCX
def _docx(title: str, nar, tables, cells: dict, for_doc: bool = False) -> bytes:
    """for_doc: merge 2-D spans (the 勾稽 note, 行政复议) horizontally only. antiword drops
    every row after a cell merged both ways in a LibreOffice-written DOC (verified), so the
    DOC files use the other real variant: a header with empty cells under the note."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.name = "仿宋_GB2312"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")
    p = d.add_paragraph(title)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if nar is not None:
        for x in nar.intro:
            d.add_paragraph(x)
        d.add_paragraph(canon.SECTIONS[0].label)
        for x in nar.s1:
            d.add_paragraph(x)
    for heading, g in tables:
        d.add_paragraph(heading)
        if for_doc and any(c.key and c.key[0] == "t4" for row in g for c in row):
            # antiword also loses the rows between a wide table and a following merged one
            g = unmerged(g)
        t = d.add_table(rows=len(g), cols=grids.width(g))
        t.style = "Table Grid"
        # Table.cell() rescans the whole table on every call; take the cells once, before
        # any merge (a merged _Cell object stays valid) — 5 s -> 0.3 s for table 三.
        rows = [list(r.cells) for r in t.rows]
        for ri, ci, c in positions(g):
            cell = rows[ri][ci]
            if for_doc and c.rowspan > 1 and c.colspan > 1:
                cell = cell.merge(rows[ri][ci + c.colspan - 1])
            elif c.rowspan > 1 or c.colspan > 1:
                cell = cell.merge(rows[ri + c.rowspan - 1][ci + c.colspan - 1])
            cell.text = _text(c, cells)
    if nar is not None:
        d.add_paragraph(canon.SECTIONS[4].label)
        for x in nar.s5:
            d.add_paragraph(x)
        d.add_paragraph(canon.SECTIONS[5].label)
        for x in nar.s6:
            d.add_paragraph(x)
    # fixed core properties so the zip content is reproducible
    import datetime as _dt
    fixed = _dt.datetime(2024, 1, 1)
    d.core_properties.created = fixed
    d.core_properties.modified = fixed
    d.core_properties.title = title
    buf = io.BytesIO()
    d.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps (python-docx/openpyxl stamp the current time)."""
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps dcterms:modified with the clock at save time, whatever we set.
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2024-01-01T00:00:00Z\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()


# ------------------------------------------------------------------ XLSX / XLS
def _sheet_rows(title: str, tables, cells: dict):
    """Yield (row_offset, grid) placements: title row, then each table under its heading."""
    r = 2
    for heading, g in tables:
        yield r, heading, g
        r += len(g) + 2


def _xlsx(title: str, tables, cells: dict) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws.cell(row=1, column=1, value=title)
    for off, heading, g in _sheet_rows(title, tables, cells):
        ws.cell(row=off, column=1, value=heading)
        for ri, ci, c in positions(g):
            row, col = off + 1 + ri, 1 + ci
            v = _spreadsheet_value(cells[c.key]) if c.key is not None else c.text.replace("\n", "")
            ws.cell(row=row, column=col, value=v)
            ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True)
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(start_row=row, start_column=col,
                               end_row=row + c.rowspan - 1, end_column=col + c.colspan - 1)
    wb.properties.creator = "farm"
    import datetime as _dt
    wb.properties.created = wb.properties.modified = _dt.datetime(2024, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _xls(title: str, tables, cells: dict) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("统计表")
    ws.write(0, 0, title)
    for off, heading, g in _sheet_rows(title, tables, cells):
        ws.write(off - 1, 0, heading)
        for ri, ci, c in positions(g):
            row, col = off + ri, ci
            v = _spreadsheet_value(cells[c.key]) if c.key is not None else c.text.replace("\n", "")
            if c.rowspan > 1 or c.colspan > 1:
                ws.write_merge(row, row + c.rowspan - 1, col, col + c.colspan - 1, v)
            elif v is not None:
                ws.write(row, col, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ DOC (committed files)
def doc_variants() -> dict[str, dict]:
    """name -> {"fmt","blanks","breaks","cells"} of the committed DOC files."""
    out = {}
    for meta in sorted(DOC_DIR.glob("*.json")):
        out[meta.stem] = json.loads(meta.read_text(encoding="utf-8"))
    return out


def _doc_variant(spec) -> str:
    want = (spec.fmt, bool(spec.blanks), tuple(spec.breaks))
    names = [name for name, m in doc_variants().items()
             if (m["fmt"], m["blanks"], tuple(m["breaks"])) == want]
    if names:  # several agencies should not all attach the very same file
        return random.Random(f"doc|{spec.agency}|{spec.year}|{spec.seed}").choice(names)
    avail = [(m["fmt"], m["blanks"], m["breaks"]) for m in doc_variants().values()]
    raise ValueError(f"no committed DOC for fmt/blanks/breaks {want}; available: {avail}")


def doc_cells(spec) -> dict[tuple, dict]:
    """For attachment="doc" the report prints the committed DOC's numbers, so the body and the
    attachment agree: (table,row,col) -> cell."""
    meta = doc_variants()[_doc_variant(spec)]
    return {(c["table"], c["row"], c["col"]): dict(c) for c in meta["cells"]}


def build_attachment(kind: str, spec, title: str, nar, cells: dict, fmt: str,
                     r: random.Random):
    stem = title.replace("/", "_")
    if kind == "doc":
        name = _doc_variant(spec)
        data = (DOC_DIR / f"{name}.doc").read_bytes()
        meta = doc_variants()[name]
        return Attachment(f"{stem}.doc", data, MIME["doc"], copy.deepcopy(meta["cells"]))
    if fmt not in (canon.FORMAT_2019, canon.FORMAT_2021):
        tables = []  # legacy: narrative only
    else:
        tables = report_grids(fmt, spec.year, r)
    keys = _grid_keys(tables)
    if kind == "pdf":
        data, acells = _pdf(title, nar, tables, cells), [dict(cells[k]) for k in keys]
    elif kind == "docx":
        data, acells = _docx(title, nar, tables, cells), [dict(cells[k]) for k in keys]
    elif kind == "xlsx":
        data, acells = _xlsx(title, tables, cells), _spreadsheet_cells(keys, cells)
    elif kind == "xls":
        data, acells = _xls(title, tables, cells), _spreadsheet_cells(keys, cells)
    else:
        raise ValueError(kind)
    return Attachment(f"{stem}.{kind}", data, MIME[kind], acells)
