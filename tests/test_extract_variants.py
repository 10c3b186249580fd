"""Real-world renderings of the same report extract to the same, hand-written values.

Renderings (tests/extract_variants.py) imitate copied web pages, `|` rows, tab/space rows,
`pdftotext -layout` and raw `pdftotext`, with wrapped labels, page furniture and the header
rows flattened in different orders.
"""
from __future__ import annotations

import pytest

from pipelines.extract.document import extract_document
from tests import extract_variants as V


def assert_report(d, t2=V.EXPECTED_T2, t3=V.EXPECTED_T3, t4=V.EXPECTED_T4, fmt="2021"):
    assert d["error"] is None, d["error"]
    assert d["format"] == fmt
    if t2 is not None:
        assert d["tables"]["t2"] == t2
    got3 = d["tables"]["t3"]
    for row, vals in t3.items():
        assert [got3.get(row, {}).get(c, "MISSING") for c in V.T3C] == vals, row
    assert set(got3) == set(t3), set(got3) ^ set(t3)
    if t4 is not None:
        assert [d["tables"]["t4"][r][c] for r in V.T4R for c in V.T4C] == t4


def assert_meta(d, published="2024-01-19"):
    assert d["title"] == V.TITLE
    assert d["agency"] == "清河县自然资源局"
    assert d["report_year"] == 2023
    assert d["published"] == published


TEXTS = {
    "one_per_line_split_labels": lambda: V.one_per_line(split_labels=True, note=True, header_order="html"),
    "one_per_line_no_note_column_order": lambda: V.one_per_line(split_labels=False, note=False, header_order="cols"),
    "one_per_line_split_column_order": lambda: V.one_per_line(split_labels=True, note=True, header_order="cols"),
    "label_tab_numbers": lambda: V.label_then_numbers("\t"),
    "label_spaces_numbers": lambda: V.label_then_numbers("   "),
    "pipes": lambda: V.label_then_numbers(" | "),
    "pdftotext_layout": V.pdftotext_layout,
    "pdftotext_raw": V.pdftotext_raw,
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_text_renderings(name):
    d = extract_document(TEXTS[name]().encode("utf-8"))
    assert d["doc_type"] == "text"
    assert_report(d)
    assert_meta(d, published="2024-01-18" if name == "pdftotext_raw" else "2024-01-19")
    # every printed number of the official layout, nothing more (no page numbers, no extras)
    assert len(d["cells"]) == 10 + 175 + 15


def test_layout_cell_variants():
    """Blank cells are gaps between columns in `pdftotext -layout`: they come back EMPTY in their
    own column (never 0, never shifting the next number left); "/" and "—" are NA."""
    t2, t3 = V.expected_cell_variants()
    d = extract_document(V.layout_cell_variants().encode("utf-8"))
    assert_report(d, t2=t2, t3=t3)
    assert_meta(d)
    assert len(d["cells"]) == 10 + 175 + 15
    cell = {(c["table"], c["row"], c["col"]): c for c in d["cells"]}
    assert cell[("t3", "carried_over", "natural_person")]["semantic"] == "EMPTY"
    assert cell[("t3", "total_processed", "legal_research")]["semantic"] == "EMPTY"
    assert cell[("t3", "total_processed", "legal_law_service")]["raw"] == "1"
    assert cell[("t3", "denied.law_prohibited", "total")]["semantic"] == "NA"
    assert cell[("t3", "denied.security_stability", "natural_person")]["semantic"] == "NA"
    assert cell[("t3", "unable.not_held", "total")]["raw"] == "１２"
    assert cell[("t2", "regulations", "issued_this_year")]["semantic"] == "EMPTY"
    assert cell[("t2", "admin_fees", "fee_amount_wan_yuan")]["semantic"] == "ZERO"


def test_vanished_blanks_are_not_guessed():
    """In a one-value-per-line copy a blank cell leaves no line: the row cannot be placed and is
    left out rather than shifted."""
    text = V.one_per_line(split_labels=False)
    text = text.replace("规章\n\n1\n\n0\n\n3", "规章\n\n1\n\n3")           # one 表二 blank vanished
    i = text.index("四、结转下年度继续办理")
    text = text[:i] + text[i:].replace("1\n\n1\n\n0\n\n0\n\n1\n\n0\n\n3", "1\n\n1\n\n1\n\n3", 1)
    d = extract_document(text.encode())
    assert "regulations" not in d["tables"]["t2"]
    assert "carried_forward" not in d["tables"]["t3"]
    t3 = {k: v for k, v in V.EXPECTED_T3.items() if k != "carried_forward"}
    assert_report(d, t2={k: v for k, v in V.EXPECTED_T2.items() if k != "regulations"}, t3=t3)


@pytest.mark.parametrize("blank_cells,repeat_header", [(True, True), (False, False)])
def test_pdf_tables_without_ruling_lines(blank_cells, repeat_header):
    """Word/WPS → PDF with borderless tables: pdfplumber finds no table, the page's layout text
    is read instead (wrapped labels, merged 三、本年度办理结果 printed mid-column, 表三 header
    repeated on page 2, blank cells as gaps)."""
    data = V.pdf_text_only(blank_cells=blank_cells, repeat_header=repeat_header)
    t2, t3 = dict(V.EXPECTED_T2), dict(V.EXPECTED_T3)
    if blank_cells:
        t2["regulations"] = {"issued_this_year": None, "repealed_this_year": 0, "in_force": 3}
        t3["carried_over"] = [None, None, None, None, None, None, 0]
    d = extract_document(data)
    assert d["doc_type"] == "pdf" and d["metadata"]["pages"] == 2
    assert_report(d, t2=t2, t3=t3)
    assert_meta(d)
    assert len(d["cells"]) == 10 + 175 + 15
    assert all(c["locator"].startswith("pdf:p") for c in d["cells"])


# ------------------------------------------------------------------ HTML from real portals
def _page(**kw) -> bytes:
    return V.portal_page(V.html_body(**kw)).encode("utf-8")


@pytest.mark.parametrize("name,kw", [
    ("th_header_nested_spans", {}),
    ("one_table_for_all_three", {"one_table": True}),
    ("extra_subtotal_column", {"t3": V.t3_rows_html(subtotal_col=True)}),
    ("litigation_header_split", {"t4": V.t4_rows_html(split_litigation=True)}),
    ("t2_without_clause_rows", {"t2_tables": V.t2_rows_html(clause_row=False)}),
])
def test_html_portal_variants(name, kw):
    d = extract_document(_page(**kw), url="http://www.qinghe.gov.cn/art/2024/1/19/art_123_456.html")
    assert_report(d)
    assert_meta(d)
    assert d["metadata"]["container"] == ".TRS_Editor"
    assert len(d["cells"]) == 10 + 175 + 15    # the 法人小计 column is not a canonical cell


def test_html_without_total_column():
    d = extract_document(_page(t3=V.t3_rows_html(total_col=False)))
    t3 = {r: v[:6] + ["MISSING"] for r, v in V.EXPECTED_T3.items()}
    assert_report(d, t3=t3)


def test_html_t3_split_over_two_tables():
    """A Word page break splits 表三 into two tables; the second has no header."""
    t3 = V.t3_rows_html()
    body = V.html_body().replace(V.html_table_word(t3),
                                 V.html_table_word(t3[:14]) + "<p>&nbsp;</p>" + V.html_table_word(t3[14:]))
    assert_report(extract_document(V.portal_page(body).encode()))


def test_html_2021_report_with_single_other_row():
    rows = [r for r in V.T3_LABELS if not r.startswith("other.")]
    rows.insert(rows.index("total_processed"), "other.total")
    vals = dict(V.EXPECTED_T3, **{"other.total": [3, 0, 0, 0, 0, 0, 3]})
    d = extract_document(_page(t3=V.t3_rows_html(rows=rows, values=vals)))
    assert_report(d, t3={r: vals[r] for r in rows})      # format still 2021: 表二 has 2021 columns


def test_html_2019_labels_in_a_2022_report():
    """S-FORMAT mismatch: the format is what the labels say (2019), the year what the title says."""
    t2 = [[("第二十条第（一）项", 1, 4, "th")],
          [("信息内容", 1, 1, "th"), ("本年新制作数量", 1, 1, "th"), ("本年新公开数量", 1, 1, "th"), ("对外公开总数量", 1, 1, "th")],
          [("规章", 1, 1, "td"), ("0", 1, 1, "td"), ("0", 1, 1, "td"), ("2", 1, 1, "td")],
          [("规范性文件", 1, 1, "td"), ("5", 1, 1, "td"), ("5", 1, 1, "td"), ("31", 1, 1, "td")],
          [("第二十条第（五）项", 1, 4, "th")],
          [("信息内容", 1, 1, "th"), ("上一年项目数量", 1, 1, "th"), ("本年增/减", 1, 1, "th"), ("处理决定数量", 1, 1, "th")],
          [("行政许可", 1, 1, "td"), ("45", 1, 1, "td"), ("-3", 1, 1, "td"), ("1,208", 1, 1, "td")],
          [("其他对外管理服务事项", 1, 1, "td"), ("12", 1, 1, "td"), ("0", 1, 1, "td"), ("/", 1, 1, "td")]]
    rows = [r for r in V.T3_LABELS if not r.startswith("other.")]
    rows.insert(rows.index("total_processed"), "other.total")
    vals = dict(V.EXPECTED_T3, **{"other.total": [3, 0, 0, 0, 0, 0, 3]})
    title = "清河县自然资源局2022年度政府信息公开工作年度报告"
    body = V.html_body(t2_tables=[t2], t3=V.t3_rows_html(rows=rows, values=vals))
    d = extract_document(V.portal_page(body, title=title).encode())
    assert d["report_year"] == 2022 and d["format"] == "2019"
    assert d["tables"]["t2"] == {
        "regulations": {"newly_made": 0, "newly_published": 0, "total_published": 2},
        "normative_docs": {"newly_made": 5, "newly_published": 5, "total_published": 31},
        "admin_licensing": {"items_prev_year": 45, "items_change": -3, "decisions": 1208},
        "other_external_services": {"items_prev_year": 12, "items_change": 0, "decisions": None}}
    assert_report(d, t2=None, t3={r: vals[r] for r in rows}, fmt="2019")


def test_text_pipes_with_subtotal_column():
    text = V.pipes_with_subtotal()
    assert "| 41 | 3 | 0 | 1 | 2 | 0 | 6 | 47" in text
    d = extract_document(text.encode())
    assert_report(d)
    assert len(d["cells"]) == 10 + 175 + 15


# ------------------------------------------------------------------ metadata from real pages
AG = "清河县自然资源局"


@pytest.mark.parametrize("title,meta,info,url,want", [
    # title forms → (title, agency, year, published)
    ("清河县自然资源局2023年政府信息公开工作年度报告", True, "", None,
     ("清河县自然资源局2023年政府信息公开工作年度报告", AG, 2023, "2024-01-19")),
    ("2023年清河县自然资源局政府信息公开工作年度报告", False, "发布日期：2024-01-21", None,
     ("2023年清河县自然资源局政府信息公开工作年度报告", AG, 2023, "2024-01-21")),
    ("清河县自然资源局关于2023年度政府信息公开工作的报告", False, "发布时间：2024年01月22日 10:05", None,
     ("清河县自然资源局关于2023年度政府信息公开工作的报告", AG, 2023, "2024-01-22")),
    ("清河县自然资源局２０２３年度政府信息公开工作年度报告", False, "日期：2024-01-23", None,
     ("清河县自然资源局２０２３年度政府信息公开工作年度报告", AG, 2023, "2024-01-23")),
    ("清河县自然资源局二〇二三年度政府信息公开工作年度报告", False, "", "http://www.qinghe.gov.cn/zwgk/t20240125_123.html",
     ("清河县自然资源局二〇二三年度政府信息公开工作年度报告", AG, 2023, "2024-01-18")),   # signature before URL
    ("清河县自然资源局政府信息公开工作年度报告（2023年度）", False, "来源：县自然资源局", None,
     ("清河县自然资源局政府信息公开工作年度报告（2023年度）", AG, 2023, "2024-01-18")),
])
def test_metadata_variants(title, meta, info, url, want):
    page = V.portal_page(V.html_body(), title=title, meta=meta, info=info)
    d = extract_document(page.encode("utf-8"), url=url)
    assert (d["title"], d["agency"], d["report_year"], d["published"]) == want


def test_agency_from_publisher_when_title_has_none():
    title = "2023年度政府信息公开工作年度报告"
    page = V.portal_page(V.html_body(), title=title, meta=True)
    d = extract_document(page.encode("utf-8"))
    assert (d["title"], d["agency"], d["report_year"], d["published"]) == (title, AG, 2023, "2024-01-19")


def test_published_from_url_only():
    body = V.html_body().replace("<p style='text-align:right'>2024年1月18日</p>", "")
    page = V.portal_page(body, meta=False, info="")
    d = extract_document(page.encode(), url="http://www.qinghe.gov.cn/art/2024/1/26/art_1229_5.html")
    assert d["published"] == "2024-01-26"
    d = extract_document(page.encode(), url="http://www.qinghe.gov.cn/zwgk/202401/t20240127_3322.html")
    assert d["published"] == "2024-01-27"


def test_signature_in_chinese_numerals():
    text = V.label_then_numbers(" | ").replace("2024年1月18日", "二〇二四年一月十八日").replace(
        "发布日期：2024-01-19 来源：县自然资源局", "")
    d = extract_document(text.encode())
    assert d["published"] == "2024-01-18"


# ------------------------------------------------------------------ Traditional, reading aids, full-width
_NOISE = {"報": "報(bào)", "開": "開(kāi)", "請": "請(qǐng)", "處": "處(chù)", "關": "關(guān)", "決": "決(jué)", "數": "數(shù)"}


@pytest.mark.parametrize("name", ["one_per_line_split_labels", "pdftotext_layout", "label_tab_numbers"])
def test_traditional_with_pinyin_reading_aid(name):
    """A 繁體 page copied with the site's reading aid on (seed 001: "報(bào)告")."""
    import opencc
    text = "".join(_NOISE.get(c, c) for c in opencc.OpenCC("s2t").convert(TEXTS[name]()))
    assert "數(shù)量" in text and "開(kāi)" in text
    d = extract_document(text.encode("utf-8"))
    assert_report(d)
    assert d["title"] == "清河縣自然資源局2023年度政府信息公開工作年度報告"   # as printed, aid removed
    assert d["agency"] == "清河县自然资源局" and d["report_year"] == 2023
    assert "(kāi)" not in d["body_text"]


@pytest.mark.parametrize("name", ["one_per_line_split_labels", "pdftotext_layout", "label_tab_numbers"])
def test_full_width_digits_everywhere(name):
    text = TEXTS[name]().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    d = extract_document(text.encode("utf-8"))
    assert_report(d)
    assert d["report_year"] == 2023 and d["published"] == "2024-01-19"


T4_TEXTS = {
    "three_labelled_rows": "类别  结果维持  结果纠正  其他结果  尚未审结  总计\n行政复议  1  0  2  1  4\n"
                           "行政诉讼（未经复议直接起诉）  0  1  0  1  2\n行政诉讼（复议后起诉）  0  0  0  0  0\n",
    "fifteen_wrapped_over_two_lines": "行政复议  行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n"
                                      "1 0 2 1 4 0 1 0\n1 2 0 0 0 0 0\n",
    "fifteen_lines": "行政复议\n行政诉讼\n" + "\n".join(str(v) for v in V.EXPECTED_T4) + "\n",
}


@pytest.mark.parametrize("name", sorted(T4_TEXTS))
def test_table_four_text_shapes(name):
    base = V.label_then_numbers("  ")
    i = base.index("四、政府信息公开行政复议、行政诉讼情况")
    j = base.index("五、存在的主要问题")
    text = base[:i] + "四、政府信息公开行政复议、行政诉讼情况\n" + T4_TEXTS[name] + base[j:]
    assert_report(extract_document(text.encode()))


@pytest.mark.parametrize("furniture", ["— 3 —", "- 3 -", "第 3 页", "第3页 共5页", "3/5"])
def test_page_number_inside_a_row(furniture):
    """A page break falls inside a 表三 row of a one-value-per-line rendering: the page number
    line is not a cell and does not cut the row in two."""
    text = V.one_per_line(split_labels=False)
    i = text.index("4.保护第三方合法权益")
    j = text.index("\n\n0", i + 12)   # after the row's first two values
    text = text[:j] + "\n\n" + furniture + "\n\n清河县自然资源局2023年度政府信息公开工作年度报告" + text[j:]
    d = extract_document(text.encode())
    assert_report(d)
    assert len(d["cells"]) == 10 + 175 + 15


def test_annotated_row_labels():
    """Labels carrying notes (湖北 2020 style) still name their rows."""
    text = V.label_then_numbers(" | ").replace("规章 |", "规章（设区的市、自治州人民政府应提供相关数据） |").replace(
        "二、上年结转政府信息公开申请数量 |", "二、上年结转政府信息公开申请数量（须与2022年度年报结转数一致） |").replace(
        "行政事业性收费 |", "行政事业性收费（单位：万元） |")
    assert "应提供相关数据" in text and "须与2022年度" in text
    assert_report(extract_document(text.encode()))
