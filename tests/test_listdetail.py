"""Detail or list, by the page's structure (crawler/listdetail.py) — on pages shaped like real ones:
a report with an attachment and 上一条/下一条, a report with a 相关链接 box, an attachment-only
report, a list of only two items, a column of year sub-columns."""
from __future__ import annotations

from crawler.listdetail import shape

URL = "http://www.example.gov.cn.test/zwgk/xxgknb/2023n/202401/content_7301.shtml"
HEADER = ('<div class="header"><a href="/">某县人民政府</a><ul class="nav"><li><a href="/">首页</a></li>'
          '<li><a href="/zwgk/xxgknb/index.shtml">政府信息公开年报</a></li></ul></div>')
BODY = "".join(f"<p>{t}</p>" for t in (
    "本报告根据《中华人民共和国政府信息公开条例》和国务院办公厅政府信息公开办公室有关要求编制。",
    "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议行政诉讼情况、"
    "存在的主要问题及改进情况、其他需要报告的事项。",
    "一、总体情况。2023年，某县教育局坚持以人民为中心，深入推进政务公开，全年主动公开政府信息312条。",
    "二、主动公开政府信息情况（见下表）。三、收到和处理政府信息公开申请情况。"))


def detail(extra: str, body: str = BODY) -> str:
    return (f"<html><head><title>某县教育局2023年度政府信息公开工作年度报告_某县人民政府</title></head><body>{HEADER}"
            '<div class="article"><h1>某县教育局2023年度政府信息公开工作年度报告</h1>'
            '<div class="info">发布日期：2024-01-19 来源：某县教育局</div>'
            f'<div id="UCAP-CONTENT">{body}</div>{extra}</div></body></html>')


NEIGHBOURS = ('<div class="fj"><p>附件：</p><ul><li><a href="/ucap/uploadfiles/202401/a1.pdf">'
              '某县教育局2023年度政府信息公开工作年度报告.pdf</a></li></ul></div>'
              '<p>上一条：<a href="content_7299.shtml">某县财政局2023年度政府信息公开工作年度报告</a></p>'
              '<p>下一条：<a href="content_7303.shtml">某县公安局2023年度政府信息公开工作年度报告</a></p>')


def test_detail_with_attachment_and_prev_next():
    s = shape(detail(NEIGHBOURS), URL)
    assert s.kind == "detail", s
    assert s.neighbours == 2 and s.rows == 0 and s.attachments == 1 and s.date_line


def test_detail_with_related_links_box():
    related = ('<div class="xglj"><h3>相关链接</h3><ul>' + "".join(
        f'<li><a href="/zwgk/xxgknb/{y}n/content_{k}.shtml">某县教育局{y}年度政府信息公开工作年度报告</a></li>'
        for k, y in ((1, 2022), (2, 2021), (3, 2020), (4, 2019))) + "</ul></div>")
    s = shape(detail(NEIGHBOURS + related), URL)
    assert s.kind == "detail", s
    assert s.neighbours == 6 and s.rows == 0


def test_related_box_by_heading_only():
    """No telling class: the box is known by its heading."""
    box = ('<div class="box7"><div class="t">相关文章</div><ul>' + "".join(
        f'<li><a href="/a/{k}.html">某县民政局202{k}年政府信息公开工作年度报告</a></li>' for k in range(3)) + "</ul></div>")
    assert shape(detail(box), URL).kind == "detail"


def test_attachment_only_report_is_a_detail():
    """Nothing but the heading, the date and the file (whose download may well be broken)."""
    s = shape(detail(NEIGHBOURS, body="<p>附件下载：</p>"), URL)
    assert s.kind == "detail" and s.body_chars < 150, s


def test_list_with_only_two_items():
    html = (f"<html><head><title>政府信息公开年报</title></head><body>{HEADER}<div class='list'>"
            "<h2>政府信息公开年报</h2><ul>"
            '<li><a href="/art/2024/1/20/art_1_1.html">某县人民政府2023年政府信息公开工作年度报告</a><span>2024-01-20</span></li>'
            '<li><a href="/art/2023/1/18/art_1_2.html">某县人民政府2022年政府信息公开工作年度报告</a><span>2023-01-18</span></li>'
            "</ul></div></body></html>")
    s = shape(html, "http://www.example.gov.cn.test/col/col1/index.html")
    assert s.kind == "list", s
    assert s.rows == 2


def test_year_subcolumn_page_is_a_list():
    html = (f"<html><head><title>政府信息公开年报</title></head><body>{HEADER}<h3 class='channel-name'>政府信息公开年报</h3>"
            "<ucapcontent><ul class='list'>" + "".join(
                f'<li><a href="{y}n/index.shtml" title="{y}年政府信息公开年报">{y}年</a></li>' for y in (2023, 2022, 2021))
            + "</ul></ucapcontent></body></html>")
    s = shape(html, "http://www.example.gov.cn.test/zwgk/xxgknb/index.shtml")
    assert s.kind == "list", s


def test_a_page_without_reports_is_unknown():
    html = "<html><body><h1>机构职能</h1><p>某县教育局主要职责如下。</p></body></html>"
    assert shape(html, URL).kind == "unknown"


def test_a_parsed_page_gives_the_shape_of_its_text():
    """The spider passes the response's parsed tree (not parsed again): same verdict, same figures."""
    from parsel import Selector
    from scrapy.http import HtmlResponse
    related = ('<div class="xglj"><h3>相关链接</h3><ul>' + "".join(
        f'<li><a href="/c{i}.shtml">某县第{i}局2023年度政府信息公开工作年度报告</a></li>' for i in range(4))
        + "</ul></div>")
    pages = [detail(NEIGHBOURS), detail(NEIGHBOURS + related), detail("", body="<p>附件下载：</p>"),
             "<html><body><h1>机构职能</h1><p>某县教育局主要职责如下。</p></body></html>"]
    for html in pages:
        resp = HtmlResponse(URL, body=html.encode(), encoding="utf-8")
        assert shape(resp.selector, URL) == shape(html, URL) == shape(html.encode(), URL)
        assert isinstance(resp.selector, Selector)


def test_prose_is_counted_without_any_whitespace():
    """body_chars counts the characters of the prose, not its spaces: ASCII, full-width (\\u3000)
    and non-breaking ones, between and inside text nodes."""
    text = "一、总体情况\u3000本局\xa0主动 公开\n政府信息\t312条。"
    s = shape(detail("", body=f"<p>{text}</p><p>{text}</p>"), URL)
    assert s.body_chars == 2 * len("".join(text.split())) == 2 * 21


def test_heading_candidates_are_the_xpath_union_in_document_order():
    from lxml import etree
    from parsel import Selector

    from crawler.listdetail import _headings
    union = etree.XPath("//h1 | //h2 | //h3 | //*[contains(@class,'title') or contains(@class,'tt') or "
                        "contains(@id,'title')][not(self::a)] | //meta[@name='ArticleTitle']/@content | //title",
                        smart_strings=False)
    pages = ["<html><head><meta name='ArticleTitle' class='title' content='x'><title>t</title></head><body>"
             "<h1 class='title'>a</h1><a class='title'>n</a><div id='maintitle'>d<!-- c --></div>"
             "<span class='stt'>s</span><meta name='ArticleTitle'></body></html>",
             "<html><body><h2>b</h2><h3 class='tt'>c</h3><p class='subtitle'>p</p><a><h2>in a link</h2></a></body></html>",
             detail(NEIGHBOURS)]
    for html in pages:
        root = Selector(text=html, type="html").root
        assert list(_headings(root)) == union(root)
