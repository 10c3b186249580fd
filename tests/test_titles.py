import pytest

from nianbao import titles


@pytest.mark.parametrize("title,kind", [
    ("青山县司法局2023年度政府信息公开工作年度报告", "report"),
    ("2022年城關鎮人民政府政府信息公開工作年度報告", "report"),
    ("一图读懂2023年青山县人民政府政府信息公开工作年度报告", "graphic"),
    ("一图看懂青山县2023年度政府信息公开工作年度报告", "graphic"),
    ("青山县财政局2023年度政府信息公开工作年度报告（图片版）", "graphic"),
    ("圖說城關鎮2022年政府信息公開工作年度報告", "graphic"),
    ("（图文）青山县财政局2023年度政府信息公开工作年度报告", "report"),
    ("关于《青山县人民政府2022年度政府信息公开工作年度报告》的更正", "correction"),
    ("关于做好2024年度政府信息公开工作年度报告编制发布工作的通知", "noise"),
    ("青山县政府信息公开指南", "noise"),
    ("青山县政府网站工作年度报表（2021年度）", "noise"),
    ("青山县2022年政务公开工作要点", "noise"),
])
def test_kind(title, kind):
    assert titles.classify(title) == kind


@pytest.mark.parametrize("title,agency,year", [
    ("(图文)海宁市人民政府2023年度政府信息公开工作年度报告", "海宁市人民政府", 2023),
    ("2021年青山县人力资源和社会保障局政府信息公开工作年度报告", "青山县人力资源和社会保障局", 2021),
    ("关于《青山县人民政府2022年度政府信息公开工作年度报告》的更正", "青山县人民政府", 2022),
    ("2022年城關鎮人民政府政府信息公開工作年度報告", "城关镇人民政府", 2022),
    ("新华街道办事处2020年政府信息公开工作年度报告", "新华街道办事处", 2020),
    ("图解：青山县财政局2023年度政府信息公开工作年度报告", "青山县财政局", 2023),
    ("一图看懂｜青山县2023年度政府信息公开工作年度报告", "青山县", 2023),
])
def test_agency_and_year_from_title(title, agency, year):
    assert titles.agency(title) == agency
    assert titles.report_year(title) == year


def test_year_falls_back_to_publication_minus_one():
    assert titles.report_year("政府信息公开工作年度报告", "2024-03-01") == 2023
    assert titles.report_year("政府信息公开工作年度报告") is None


def test_refine_from_detail_shape():
    assert titles.refine("report", text_len=40, tables=0, attachments=1, images=0) == "attachment_only"
    assert titles.refine("report", text_len=10, tables=0, attachments=0, images=3) == "graphic"
    assert titles.refine("report", text_len=5000, tables=1, attachments=1, images=0) == "report"
    assert titles.refine("correction", text_len=40, tables=0, attachments=1, images=0) == "correction"
    # tables as pictures between the six headings: a report, not a 图解 (one heading short: 图解)
    assert titles.refine("report", text_len=170, tables=0, attachments=0, images=3, sections=4) == "report"
    assert titles.refine("report", text_len=170, tables=0, attachments=0, images=3, sections=3) == "graphic"


@pytest.mark.parametrize("word", titles.GRAPHIC_WORDS)
def test_one_graphic_vocabulary_for_crawler_and_extractor(word):
    # The list title (titles) and the page title (the extractor) read a 图解 the same way.
    from pipelines.extract.body import agency_year
    title = f"{word}：青山县财政局2023年度政府信息公开工作年度报告"
    assert titles.classify(title) == "graphic"
    assert titles.agency(title) == "青山县财政局"
    assert agency_year(title) == ("青山县财政局", 2023)
