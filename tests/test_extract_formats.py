"""Hand-made reports in the official formats, in every file format, extract to the values put in."""
from __future__ import annotations

import io

import pytest

from nianbao.canon import EMPTY, NA, NUMERIC, T3_COLS
from pipelines.extract.document import extract_document
from tests.extract_fixtures import (
    grid_placements,
    grid_to_docx,
    html_page,
    html_table,
    t2_grids_2021,
    t3_grid,
    t3_values,
    t4_grid,
)

T3C = [k.key for k in T3_COLS]
T4_15 = [2, 0, 5, 2, 9, 5, 0, 0, 0, 5, 1, 0, 0, 0, 1]
T4R = ["admin_review", "litigation_direct", "litigation_after_review"]
T4C = ["upheld", "corrected", "other", "pending", "total"]
# 表二 as printed: full-width digits, thousands separators, a "/" and a blank
T2_PRINTED = {"regulations": ["０", "／", ""], "normative_docs": ["68", "88", "350"],
              "admin_licensing": "574,669", "admin_penalty": "603115", "admin_coercion": "23240",
              "admin_fees": "865.5"}
T2_EXPECTED = {"regulations": {"issued_this_year": 0, "repealed_this_year": None, "in_force": None},
               "normative_docs": {"issued_this_year": 68, "repealed_this_year": 88, "in_force": 350},
               "admin_licensing": {"decisions": 574669}, "admin_penalty": {"decisions": 603115},
               "admin_coercion": {"decisions": 23240}, "admin_fees": {"fee_amount_wan_yuan": 865.5}}
TITLE = "测试县人民政府2023年度政府信息公开工作年度报告"


def body_2021(word=True, one_table=False) -> str:
    parts = ["<p>一、总体情况</p><p>2023年，本县认真贯彻《条例》。</p>", "<p><strong>二、主动公开政府信息情况</strong></p>"]
    t2 = t2_grids_2021(T2_PRINTED)
    if one_table:
        parts.append(html_table([row for g in t2 for row in g], word))
    else:
        parts += [html_table(g, word) for g in t2]
    parts.append("<p><strong>三、收到和处理政府信息公开申请情况</strong></p>")
    parts.append(html_table(t3_grid(t3_values("2021")), word))
    parts.append("<p><strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>")
    parts.append(html_table(t4_grid(T4_15), word))
    parts.append("<p>五、存在的主要问题及改进情况</p><p>队伍建设偏弱。</p><p>六、其他需要报告的事项</p><p>无。</p>")
    return "\n".join(parts)


def check_tables(d, fmt="2021"):
    assert d["error"] is None, d["error"]
    assert d["format"] == fmt
    assert d["tables"]["t2"] == T2_EXPECTED
    for row, vals in t3_values(fmt).items():
        assert [d["tables"]["t3"][row][c] for c in T3C] == vals, row
    assert [d["tables"]["t4"][r][c] for r in T4R for c in T4C] == T4_15


@pytest.mark.parametrize("word,one_table", [(True, False), (False, False), (True, True)])
def test_html_official_2021(word, one_table):
    page = html_page(TITLE, "2024-02-08 14:35", body_2021(word, one_table))
    d = extract_document(page.encode("utf-8"), url="http://www.test.gov.cn/art/2024/2/8/art_1_2.html")
    check_tables(d)
    assert d["title"] == TITLE and d["agency"] == "测试县人民政府" and d["report_year"] == 2023
    assert d["published"] == "2024-02-08" and d["kind"] == "report" and d["doc_type"] == "html"
    assert [s["key"] for s in d["sections"]] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert d["metadata"]["header"]["索引号"] == "014416330/2024-00123"
    c = next(c for c in d["cells"] if (c["table"], c["row"], c["col"]) == ("t2", "regulations", "issued_this_year"))
    assert (c["raw"], c["value"], c["semantic"]) == ("０", 0, "ZERO")
    na = next(c for c in d["cells"] if (c["table"], c["row"], c["col"]) == ("t2", "regulations", "repealed_this_year"))
    assert na["semantic"] == NA and na["value"] is None
    blank = next(c for c in d["cells"] if (c["table"], c["row"], c["col"]) == ("t2", "regulations", "in_force"))
    assert blank["semantic"] == EMPTY and blank["value"] is None
    assert blank["locator"].startswith("html:table[")
    # exactly the printed cells: 10 + 175 + 15
    assert len(d["cells"]) == 200


def test_html_gbk_and_traditional():
    body = body_2021().replace("主动公开政府信息情况", "主動公開政府信息情況").replace("收到和处理政府信息公开申请情况", "收到和處理政府信息公開申請情況")
    body = body.replace("一、本年新收政府信息公开申请数量", "一、本年新收政府信息公開申請數量")
    page = html_page(TITLE, "2024-02-08", body, charset="gb2312")
    d = extract_document(page.encode("gb18030"), headers={"Content-Type": "text/html"})
    check_tables(d)
    assert d["metadata"]["encoding"] == "gb18030"
    raw = next(c["locator"] for c in d["cells"] if c["row"] == "new_received" and c["col"] == "total")
    assert raw


def test_html_2019_format_signed_and_extra_row():
    t2 = [[("第二十条第（一）项", 1, 4)],
          [("信息内容", 1, 1), ("本年新制作数量", 1, 1), ("本年新公开数量", 1, 1), ("对外公开总数量", 1, 1)],
          [("规章", 1, 1), ("0", 1, 1), ("0", 1, 1), ("0", 1, 1)],
          [("规范性文件", 1, 1), ("12", 1, 1), ("12", 1, 1), ("140", 1, 1)],
          [("其他主动公开文件", 1, 1), ("3", 1, 1), ("3", 1, 1), ("9", 1, 1)],
          [("第二十条第（五）项", 1, 4)],
          [("信息内容", 1, 1), ("上一年项目数量", 1, 1), ("本年增/减", 1, 1), ("处理决定数量", 1, 1)],
          [("行政许可", 1, 1), ("120", 1, 1), ("-8", 1, 1), ("3,456", 1, 1)],
          [("其他对外管理服务事项", 1, 1), ("30", 1, 1), ("+2", 1, 1), ("77", 1, 1)],
          [("第二十条第（九）项", 1, 4)],
          [("信息内容", 1, 1), ("采购项目数量", 1, 1), ("采购总金额", 1, 2)],
          [("政府集中采购", 1, 1), ("14", 1, 1), ("251000元", 1, 2)]]
    body = ("<p>二、主动公开政府信息情况</p>" + html_table(t2) + "<p>三、收到和处理政府信息公开申请情况</p>"
            + html_table(t3_grid(t3_values("2019"), "2019", label=lambda k: "1、属于国家秘密" if k == "denied.state_secret" else None))
            + "<p>四、政府信息公开行政复议、行政诉讼情况</p>" + html_table(t4_grid(T4_15)))
    d = extract_document(html_page("测试县统计局2020年政府信息公开工作年度报告", "2021-01-20", body).encode())
    assert d["format"] == "2019"
    assert d["agency"] == "测试县统计局" and d["report_year"] == 2020
    t2 = d["tables"]["t2"]
    assert t2["normative_docs"] == {"newly_made": 12, "newly_published": 12, "total_published": 140}
    assert t2["extra:其他主动公开文件"] == {"newly_made": 3, "newly_published": 3, "total_published": 9}
    assert t2["admin_licensing"] == {"items_prev_year": 120, "items_change": -8, "decisions": 3456}
    assert t2["other_external_services"] == {"items_prev_year": 30, "items_change": 2, "decisions": 77}
    assert t2["central_procurement"] == {"procurement_projects": 14, "procurement_amount": 251000}
    amt = next(c for c in d["cells"] if c["col"] == "procurement_amount")
    assert amt["raw"] == "251000元" and amt["semantic"] == NUMERIC
    for row, vals in t3_values("2019").items():
        assert [d["tables"]["t3"][row][c] for c in T3C] == vals, row
    assert "other.no_correction" not in d["tables"]["t3"]


def _docx_bytes():
    import docx
    doc = docx.Document()
    doc.add_paragraph(TITLE)
    doc.add_paragraph("一、总体情况")
    doc.add_paragraph("二、主动公开政府信息情况")
    for g in t2_grids_2021(T2_PRINTED):
        grid_to_docx(doc, g)
    doc.add_paragraph("三、收到和处理政府信息公开申请情况")
    grid_to_docx(doc, t3_grid(t3_values("2021")))
    doc.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    grid_to_docx(doc, t4_grid(T4_15))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_merged_cells():
    d = extract_document(_docx_bytes(), url="http://x.gov.cn/a.docx")
    assert d["doc_type"] == "docx"
    check_tables(d)
    assert d["title"] == TITLE
    assert any(c["locator"].startswith("docx:table[") for c in d["cells"])


def _sheet_rows():
    rows = []
    for g in t2_grids_2021(T2_PRINTED) + [t3_grid(t3_values("2021")), t4_grid(T4_15)]:
        rows.append(g)
    return rows


def test_xlsx_merged_cells():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    r0 = 1
    ws.cell(r0, 1, TITLE)
    r0 += 1
    for g in _sheet_rows():
        for r, c, rs, cs, text in grid_placements(g):
            v = int(text) if text.isdigit() else text
            ws.cell(r0 + r, 1 + c, v if text != "" else None)
            if rs > 1 or cs > 1:
                ws.merge_cells(start_row=r0 + r, start_column=1 + c, end_row=r0 + r + rs - 1, end_column=c + cs)
        r0 += len(g) + 1
    buf = io.BytesIO()
    wb.save(buf)
    d = extract_document(buf.getvalue())
    assert d["doc_type"] == "xlsx"
    check_tables(d)


def test_xls_merged_cells():
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("年报")
    r0 = 0
    for g in _sheet_rows():
        for r, c, rs, cs, text in grid_placements(g):
            v = int(text) if text.isdigit() else text
            if rs > 1 or cs > 1:
                ws.write_merge(r0 + r, r0 + r + rs - 1, c, c + cs - 1, v)
            else:
                ws.write(r0 + r, c, v)
        r0 += len(g) + 1
    buf = io.BytesIO()
    wb.save(buf)
    d = extract_document(buf.getvalue())
    assert d["doc_type"] == "xls"
    check_tables(d)


def test_pdf_ruled_tables():
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    st = ParagraphStyle("zh", fontName="STSong-Light", fontSize=9, leading=11)
    story = [Paragraph(TITLE, st), Paragraph("二、主动公开政府信息情况", st)]

    def table(g):
        place = grid_placements(g)
        nrows = len(g)
        ncols = max(c + cs for _, c, _, cs, _ in place)
        data = [["" for _ in range(ncols)] for _ in range(nrows)]
        spans = []
        for r, c, rs, cs, text in place:
            data[r][c] = Paragraph(text, st) if len(text) > 6 else text
            if rs > 1 or cs > 1:
                spans.append(("SPAN", (c, r), (c + cs - 1, r + rs - 1)))
        t = Table(data, repeatRows=0)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                               ("FONTSIZE", (0, 0), (-1, -1), 7)] + spans))
        return t

    for g in t2_grids_2021(T2_PRINTED):
        story += [table(g), Spacer(1, 6)]
    story += [Paragraph("三、收到和处理政府信息公开申请情况", st), table(t3_grid(t3_values("2021"))),
              Paragraph("四、政府信息公开行政复议、行政诉讼情况", st), table(t4_grid(T4_15))]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=landscape(A4)).build(story)
    d = extract_document(buf.getvalue())
    assert d["doc_type"] == "pdf"
    check_tables(d)
    assert d["metadata"]["pages"] >= 2   # 表三 runs onto the next page
    assert any(c["locator"].startswith("pdf:p") for c in d["cells"])


def test_text_line_layout_equals_html():
    """The seeds' one-value-per-line rendering of the same tables gives the same cells as HTML."""
    html = extract_document(html_page(TITLE, "2024-02-08", body_2021()).encode())
    lines = []
    for ln in html["body_text"].splitlines():
        for cell in ln.split(" | "):
            lines.append(cell.replace("&nbsp;", ""))
    text = "\n\n".join(lines)
    d = extract_document(text.encode())
    key = lambda c: (c["table"], c["row"], c["col"], c["value"], c["semantic"])  # noqa: E731
    # the blank 表二 cell vanishes in a one-value-per-line rendering; everything else is identical
    want = sorted(key(c) for c in html["cells"] if c["table"] != "t2")
    assert sorted(key(c) for c in d["cells"] if c["table"] != "t2") == want


def test_one_character_cell_text_is_pdfplumbers():
    """A cell of one character skips pdfplumber's word and line building (grid._pdf_cell_text): for
    every character of the real WPS report and the Word-made PDFs, alone and in pairs, and for
    blanks and ligatures, the text is what pdfplumber's extract_text gives."""
    from pathlib import Path

    import pdfplumber
    from pdfplumber.utils import extract_text

    from pipelines.extract.grid import _pdf_cell_text
    data = Path(__file__).resolve().parents[1] / "farm" / "data"
    chars = []
    for path in [*sorted((data / "wordlike").glob("*.pdf")), data / "real" / "hongze-2023-wps.pdf"]:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                chars += page.chars
    assert len(chars) > 5000 and any(c["text"].isspace() for c in chars)
    base = dict(chars[0])
    chars += [{**base, "text": t} for t in (" ", "\u3000", "", "\ufb01", "\ufb00", "ab")]
    for c in chars:
        assert _pdf_cell_text([c], extract_text) == extract_text([c]), c["text"]
    for a, b in zip(chars[::97], chars[1::97]):
        assert _pdf_cell_text([a, b], extract_text) == extract_text([a, b])
    assert _pdf_cell_text([], extract_text) == ""
