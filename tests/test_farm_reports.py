"""The farm's report generator: identities, layouts, real attachments, determinism.

Readers here are deliberately simple and independent of pipelines.extract: they pull the value
cells back out of the generated HTML/text/files and compare them with the ground truth.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import unicodedata
import zlib

import pytest
from lxml import html as lxml_html

from farm.reports import LAYOUTS, ReportSpec, generate

AGENCIES = ("清河县人民政府", "清河县财政局", "长宁区人民政府", "白水镇人民政府")
APPLICANTS = ("natural_person", "legal_commercial", "legal_research", "legal_social_welfare",
              "legal_law_service", "legal_other")
NA = {"/", "／", "-", "－", "—", "——", "–", "无", "不适用", "\\"}
NUM = re.compile(r"^[+\-]?\d[\d,]*(\.\d+)?(元|万元)?$")


def norm(s) -> str:
    return unicodedata.normalize("NFKC", str(s if s is not None else "")).replace("\xa0", "").strip()


def is_value_token(s) -> bool:
    s = norm(s)
    return bool(NUM.match(s)) or s in NA


def printed_sequence(cells) -> list[str]:
    """Non-empty printed values in print order (what a reader can see)."""
    return [norm(c["raw"]) for c in cells if c["raw"] != ""]


# ------------------------------------------------------------------ identities
def values(cells):
    """(table,row,col) -> value, blanks counted as 0 ("would pass if blanks were 0")."""
    return {(c["table"], c["row"], c["col"]): (c["value"] or 0) for c in cells}


def failing_checks(cells) -> set[str]:
    v = values(cells)
    t3_rows = {r for (t, r, _c) in v if t == "t3"}
    results = [r for r in t3_rows if r not in ("new_received", "carried_over", "total_processed",
                                               "carried_forward")]
    fails = set()
    if t3_rows:
        for col in (*APPLICANTS, "total"):
            g = lambda r: v[("t3", r, col)]  # noqa: E731
            if g("new_received") + g("carried_over") != g("total_processed") + g("carried_forward"):
                fails.add("T3-BAL")
            if g("total_processed") != sum(g(r) for r in results):
                fails.add("T3-SUM-RESULTS")
        for row in t3_rows:
            if v[("t3", row, "total")] != sum(v[("t3", row, c)] for c in APPLICANTS):
                fails.add("T3-SUM-COLS")
        if any(x < 0 or x != int(x) for (t, _r, _c), x in v.items() if t == "t3"):
            fails.add("T3-DOMAIN")
    for row in ("admin_review", "litigation_direct", "litigation_after_review"):
        if ("t4", row, "total") in v:
            parts = sum(v[("t4", row, c)] for c in ("upheld", "corrected", "other", "pending"))
            if parts != v[("t4", row, "total")]:
                fails.add("T4-SUM")
    for (t, _r, col), x in v.items():
        if t == "t2" and col not in ("items_change", "fee_amount_wan_yuan",
                                     "procurement_amount") and x < 0:
            fails.add("T2-DOMAIN")
    return fails


SPECS = [ReportSpec(a, y, fmt, layout="word", seed=s, blanks=bl)
         for a in AGENCIES for (y, fmt) in ((2020, "2019"), (2023, "2021"))
         for s in (1, 2, 3) for bl in (False, True)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.agency}-{s.fmt}-{s.seed}-{s.blanks}")
def test_identities_hold_when_not_broken(spec):
    g = generate(spec)
    assert g.cells, "a word layout prints its tables"
    assert failing_checks(g.cells) == set()
    assert g.expected_failures == []


@pytest.mark.parametrize("check", ["T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS", "T4-SUM",
                                   "T2-DOMAIN", "T3-DOMAIN"])
@pytest.mark.parametrize("fmt,year", [("2021", 2022), ("2019", 2020)])
@pytest.mark.parametrize("blanks", [False, True])
def test_breaks_fail_exactly_the_named_check(check, fmt, year, blanks):
    for agency in AGENCIES[:2]:
        g = generate(ReportSpec(agency, year, fmt, breaks=(check,), blanks=blanks, seed=4))
        assert failing_checks(g.cells) == {check}, agency
        assert g.expected_failures == [check]


def test_cell_ground_truth_is_self_consistent():
    seen = set()
    for spec in SPECS:
        for c in generate(spec).cells:
            seen.add(c["semantic"])
            raw = norm(c["raw"])
            if c["semantic"] == "EMPTY":
                assert raw == "" and c["value"] is None
            elif c["semantic"] == "NA":
                assert raw in NA and c["value"] is None
            else:
                num = float(re.sub(r"[,元万]", "", raw))
                assert num == c["value"], c
                assert (c["semantic"] == "ZERO") == (c["value"] == 0)
    assert {"NUMERIC", "ZERO", "EMPTY", "NA"} <= seen


def test_official_cell_sets_per_format():
    g21 = generate(ReportSpec("清河县人民政府", 2023, "2021"))
    g19 = generate(ReportSpec("清河县人民政府", 2020, "2019"))
    count = lambda g, t: sum(1 for c in g.cells if c["table"] == t)  # noqa: E731
    # the official templates (docs/report-format.md): 10 + 175 + 15 cells (2021), 22 + 161 + 15 (2019)
    assert (count(g21, "t2"), count(g21, "t3"), count(g21, "t4")) == (10, 175, 15)
    assert (count(g19, "t2"), count(g19, "t3"), count(g19, "t4")) == (22, 161, 15)
    fee = next(c for c in g21.cells if c["col"] == "fee_amount_wan_yuan")
    assert isinstance(fee["value"], float)
    proc = next(c for c in g19.cells if c["col"] == "procurement_amount")
    assert proc["value"] == 0 or norm(proc["raw"]).endswith("元")
    changes = [c["value"] for s in range(1, 8) for c in
               generate(ReportSpec("清河县人民政府", 2020, "2019", seed=s)).cells
               if c["col"] == "items_change"]
    assert min(changes) < 0 < max(changes)


def test_carry_over_matches_previous_year():
    for agency in AGENCIES:
        prev = {c["col"]: c["value"] for c in generate(ReportSpec(agency, 2022)).cells
                if c["row"] == "carried_forward"}
        cur = {c["col"]: c["value"] for c in generate(ReportSpec(agency, 2023)).cells
               if c["row"] == "carried_over"}
        assert prev == cur


def test_format_mismatch_expected_failure():
    g = generate(ReportSpec("清河县人民政府", 2023, "2019"))
    assert g.expected_failures == ["S-FORMAT"]


# ------------------------------------------------------------------ layouts
def html_tables(body: str) -> list[list[list[str]]]:
    """Each <table> as a rectangular grid of cell texts (spans expanded)."""
    doc = lxml_html.fromstring(f"<div>{body}</div>")
    out = []
    for t in doc.iter("table"):
        grid: dict[tuple[int, int], str] = {}
        for ri, tr in enumerate(t.iter("tr")):
            ci = 0
            for td in tr.iter("td", "th"):
                while (ri, ci) in grid:
                    ci += 1
                rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
                for dr in range(rs):
                    for dc in range(cs):
                        grid[(ri + dr, ci + dc)] = norm(td.text_content()) if dr == dc == 0 else None
                ci += cs
        h = max(r for r, _ in grid) + 1
        w = max(c for _, c in grid) + 1
        assert len(grid) == h * w, "spans must tile the table exactly"
        out.append([[grid[(r, c)] for c in range(w)] for r in range(h)])
    return out


def section_order(text: str) -> list[str]:
    return re.findall(r"^([一二三四五六])、", text, flags=re.M)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fmt,year", [("2021", 2023), ("2019", 2020), ("legacy", 2016)])
def test_every_layout_renders(layout, fmt, year):
    spec = ReportSpec("清河县人民政府", year, fmt, layout=layout, seed=2)
    g = generate(spec)
    assert g.title and g.body_html and g.report_year == year and g.format == fmt
    lxml_html.fromstring(f"<div>{g.body_html}</div>")  # parses
    if layout in ("word", "editor", "text_lines", "text_pipes") and fmt != "legacy":
        assert g.kind == "report"
        assert [c["table"] for c in g.cells].count("t4") == 15
        heads = [h for h in section_order(g.text) if h in "一二三四五六"]
        assert heads[:1] == ["一"] and "六" in heads
    if layout == "word" and fmt != "legacy":
        assert 'class=MsoNormalTable' in g.body_html and "<o:p>" in g.body_html
        assert "rowspan" in g.body_html
    if layout == "editor" and fmt != "legacy":
        assert '<table border="1"' in g.body_html and "MsoNormal" not in g.body_html
    if layout == "traditional":
        assert "公開" in g.body_html and "公开" not in g.body_html
    if layout == "prose_only":
        assert g.cells == [] and "<table" not in g.body_html
        if fmt != "legacy":
            assert "未收到政府信息公开申请" in g.text
    if layout == "graphic":
        assert g.kind == "graphic" and g.cells == [] and g.images
        assert "<img" in g.body_html and "<table" not in g.body_html
        for name, data in g.images:
            assert "{{ATTACH:" + name + "}}" in g.body_html
            assert_png(data)
    if layout == "attachment_only":
        assert g.kind == "attachment_only" and g.cells == []
        assert "详见附件" in g.text and len(g.attachments) == 1
        assert "{{ATTACH:" + g.attachments[0].filename + "}}" in g.body_html
        if fmt != "legacy":
            assert g.attachments[0].cells


def assert_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    raw = zlib.decompress(data[idat + 4: idat + 4 + length])
    assert len(raw) == h * (1 + 3 * w)


@pytest.mark.parametrize("layout", ["word", "editor", "traditional"])
@pytest.mark.parametrize("blanks", [False, True])
def test_html_tables_hold_exactly_the_cells(layout, blanks):
    for seed in (1, 2, 3):
        g = generate(ReportSpec("清河县人民政府", 2023, "2021", layout=layout, seed=seed,
                                blanks=blanks))
        tables = html_tables(g.body_html)
        assert len(tables) in (3, 6)  # table 二 as one table or four sub-tables
        got = [x for t in tables for row in t for x in row if x is not None and is_value_token(x)]
        assert got == printed_sequence(g.cells)
        t3 = next(t for t in tables if any(x and "本列" in x for x in t[0]))
        assert len(t3[0]) == 10 and len(t3) == 3 + 25  # 3 label + 7 value cols; header + rows


def test_text_renderings_hold_the_cells():
    for seed in (1, 2, 3):
        for layout in ("text_lines", "text_pipes"):
            g = generate(ReportSpec("清河县人民政府", 2023, "2021", layout=layout, seed=seed,
                                    blanks=True))
            doc = lxml_html.fromstring(f"<div>{g.body_html}</div>")
            if layout == "text_lines":
                tokens = [norm(p.text_content()) for p in doc.iter("p")]
            else:
                lines = [ln for el in doc.iter("p", "pre") for ln in el.text_content().split("\n")]
                tokens = [norm(x) for ln in lines if " | " in ln or ln.endswith("|")
                          for x in ln.split("|")]
            got = [t for t in tokens if is_value_token(t)]
            assert got == printed_sequence(g.cells), layout


def test_pipes_rows_keep_width():
    g = generate(ReportSpec("清河县人民政府", 2023, "2021", layout="text_pipes"))
    row = next(ln for ln in g.text.splitlines() if ln.startswith("四、结转下年度继续办理"))
    assert row.count("|") == 10  # 8 printed cells + the two a span hides (seed 003)


def test_correction_reissue():
    g = generate(ReportSpec("清河县人民政府", 2023, "2021", correction=True))
    assert g.kind == "correction" and "更正" in g.title
    assert {c["table"] for c in g.cells} >= {"t3"}
    assert failing_checks(g.cells) == set()


def test_narrative_is_adapted():
    g = generate(ReportSpec("清河县人民政府", 2021, "2021", seed=5))
    for foreign in ("海宁市人民政府", "冷水滩区", "古雷港", "嘉兴市经济和信息化局"):
        assert foreign not in g.text
    assert "清河县" in g.text and "2021年" in g.text
    assert "，" in g.text  # full-width punctuation restored from the seed renderings


def test_section_title_variants_and_missing_section():
    titles = {line for s in range(1, 30) for line in
              generate(ReportSpec("清河县人民政府", 2023, seed=s)).text.splitlines()
              if line.startswith("五、")}
    assert len(titles) >= 2
    g = generate(ReportSpec("清河县人民政府", 2023, breaks=("S-SECTIONS",)))
    assert "六" not in section_order(g.text) and g.expected_failures == ["S-SECTIONS"]


def test_determinism_and_layout_independent_values():
    for kind in (None, "pdf", "docx", "xlsx", "xls", "doc"):
        spec = ReportSpec("清河县人民政府", 2023, "2021", attachment=kind, seed=3)
        a, b = generate(spec), generate(spec)
        assert a.body_html == b.body_html and a.cells == b.cells and a.title == b.title
        assert [x.data for x in a.attachments] == [x.data for x in b.attachments], kind
    word = generate(ReportSpec("清河县人民政府", 2023, layout="word", seed=3))
    pipes = generate(ReportSpec("清河县人民政府", 2023, layout="text_pipes", seed=3))
    assert [c["value"] for c in word.cells] == [c["value"] for c in pipes.cells]
    other = generate(ReportSpec("清河县人民政府", 2023, layout="word", seed=4))
    assert [c["value"] for c in other.cells] != [c["value"] for c in word.cells]


# ------------------------------------------------------------------ attachments
def att(kind, **kw):
    spec = ReportSpec(kw.pop("agency", "清河县人民政府"), kw.pop("year", 2023),
                      kw.pop("fmt", "2021"), attachment=kind, **kw)
    g = generate(spec)
    assert len(g.attachments) == 1
    a = g.attachments[0]
    assert a.filename.endswith("." + kind)
    assert "{{ATTACH:" + a.filename + "}}" in g.body_html
    return g, a


@pytest.mark.parametrize("fmt,year,blanks", [("2021", 2023, False), ("2019", 2020, True)])
def test_pdf_reads_back(fmt, year, blanks):
    import pdfplumber
    g, a = att("pdf", fmt=fmt, year=year, blanks=blanks, seed=2)
    assert a.data[:5] == b"%PDF-" and a.mime == "application/pdf"
    with pdfplumber.open(io.BytesIO(a.data)) as pdf:
        texts = [p.extract_text() or "" for p in pdf.pages]
        tables = [(i, t) for i, p in enumerate(pdf.pages) for t in p.extract_tables()]
    tokens = [norm(x) for _i, t in tables for row in t for x in row
              if x is not None and is_value_token(x)]

    def pages_of_row(label):
        return next(i for i, t in tables for row in t
                    if norm(row[0]).replace("\n", "").startswith(label))
    full = "".join(texts)
    assert "收到和处理政府信息公开申请情况" in full and "清河县" in full  # CJK text extracts
    assert tokens == printed_sequence(a.cells)
    assert a.cells == g.cells  # the PDF holds the same numbers as the page
    assert pages_of_row("一、本年新收") < pages_of_row("四、结转下年度"), "table 三 spans two pages"


@pytest.mark.parametrize("fmt,year,blanks", [("2021", 2023, True), ("2019", 2020, False)])
def test_docx_reads_back(fmt, year, blanks):
    import docx
    g, a = att("docx", fmt=fmt, year=year, blanks=blanks, seed=3)
    assert a.data[:4] == b"PK\x03\x04"
    d = docx.Document(io.BytesIO(a.data))
    tokens = []
    for t in d.tables:
        for row in t.rows:
            seen = set()
            for c in row.cells:  # merged cells repeat: count each <w:tc> once
                if id(c._tc) in seen:
                    continue
                seen.add(id(c._tc))
                if is_value_token(c.text):
                    tokens.append(norm(c.text))
    assert tokens == printed_sequence(a.cells)
    xml = d.tables[1]._tbl.xml
    assert "w:gridSpan" in xml and "w:vMerge" in xml
    assert a.cells == g.cells


def spreadsheet_expected(cells):
    # numbers are stored as numbers; text (NA tokens, amounts with a unit) as printed
    return [c["value"] if c["value"] is not None and c["col"] != "procurement_amount"
            else norm(c["raw"]) for c in cells if c["raw"] != ""]


def sheet_value(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return norm(v) if isinstance(v, str) else v


@pytest.mark.parametrize("fmt,year,blanks", [("2021", 2023, True), ("2019", 2020, False)])
def test_xlsx_reads_back(fmt, year, blanks):
    import openpyxl
    g, a = att("xlsx", fmt=fmt, year=year, blanks=blanks, seed=5)
    ws = openpyxl.load_workbook(io.BytesIO(a.data)).active
    got = [sheet_value(v) for row in ws.iter_rows(values_only=True) for v in row
           if isinstance(v, (int, float)) or (isinstance(v, str) and is_value_token(v))]
    assert got == spreadsheet_expected(a.cells)
    assert len(ws.merged_cells.ranges) >= 10
    assert [c["value"] for c in a.cells] == [c["value"] for c in g.cells]


@pytest.mark.parametrize("fmt,year,blanks", [("2021", 2023, False), ("2019", 2020, True)])
def test_xls_reads_back(fmt, year, blanks):
    import xlrd
    g, a = att("xls", fmt=fmt, year=year, blanks=blanks, seed=6)
    assert a.data[:4] == b"\xd0\xcf\x11\xe0"
    book = xlrd.open_workbook(file_contents=a.data, formatting_info=True)
    ws = book.sheet_by_index(0)
    got = []
    for r in range(ws.nrows):
        for c in range(ws.ncols):
            cell = ws.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_NUMBER or (cell.ctype == xlrd.XL_CELL_TEXT
                                                     and is_value_token(cell.value)):
                got.append(sheet_value(cell.value))
    assert got == spreadsheet_expected(a.cells)
    assert len(ws.merged_cells) >= 10
    assert [c["value"] for c in a.cells] == [c["value"] for c in g.cells]


@pytest.mark.skipif(not shutil.which("antiword"), reason="antiword (Debian) not installed")
@pytest.mark.parametrize("fmt,year,blanks,breaks", [
    ("2021", 2023, False, ()), ("2021", 2022, True, ()), ("2021", 2024, False, ("T3-BAL",)),
    ("2019", 2020, False, ())])
def test_doc_reads_back_with_antiword(tmp_path, fmt, year, blanks, breaks):
    g, a = att("doc", fmt=fmt, year=year, blanks=blanks, breaks=breaks)
    assert a.data[:4] == b"\xd0\xcf\x11\xe0" and a.mime == "application/msword"
    f = tmp_path / "x.doc"
    f.write_bytes(a.data)
    out = subprocess.run(["antiword", "-w", "0", str(f)], capture_output=True, check=True,
                         timeout=60).stdout.decode("utf-8")
    tokens = [norm(x) for ln in out.splitlines() for x in ln.split("|") if is_value_token(x)]
    assert tokens == printed_sequence(a.cells)
    assert a.cells == g.cells  # the page prints the DOC's numbers
    assert failing_checks(g.cells) == set(breaks)
    assert g.expected_failures == list(breaks)


def test_doc_without_committed_variant_is_refused():
    with pytest.raises(ValueError, match="no committed DOC"):
        generate(ReportSpec("清河县人民政府", 2020, "2019", attachment="doc", blanks=True))
