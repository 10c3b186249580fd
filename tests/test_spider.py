"""The spider on responses built here: list pages (entries, noise, sub-columns, further pages),
detail pages (report item, file links, list pages met as details, replay of an unchanged page from
its WARC record) and attachments. No farm, no network: the ledger is a temporary SQLite file."""
from __future__ import annotations

import pytest
from scrapy import Request

from crawler import meta as M
from crawler.runstate import RunState
from crawler.spiders.nianbao import NianbaoSpider
from nianbao.items import AttachmentItem, ReportItem
from tests.crawl_helpers import q
from tests.crawler_unit import SOURCE, html, make_crawler, raw

BASE = "http://www.example.gov.cn.test"
COLUMN = SOURCE["url"]
DETAIL = f"{BASE}/col/col1/202401/t20240120_1.html"
TITLE = "海宁市人民政府2023年政府信息公开工作年度报告"

LIST = f"""<html><body><ul>
<li><a href="./202401/t20240120_1.html" title="{TITLE}">海宁市人民政府2023年…</a><span>2024-01-20</span></li>
<li><a href="./202401/t20240121_2.html">关于印发海宁市2023年工作要点的通知</a><span>2024-01-21</span></li>
<li><a href="./202401/t20240122_3.pdf">海宁市教育局2023年政府信息公开工作年度报告</a></li>
</ul>
<script>createPageHTML(3, 0, "index", "html");</script></body></html>"""

DETAIL_PAGE = f"""<html><head><meta name="ArticleTitle" content="{TITLE}"></head><body>
<h1>{TITLE}</h1>
<a href="/uploadfiles/2024/report.pdf">{TITLE}.pdf</a>
<a href="downfile.jsp?id=9&showname=biao.xls">下载</a>
<a href="/files/a.docx#page=2">附件二</a>
<a href="/images/logo.png">logo</a>
<a href="/pic/tujie.jpg">图解</a>
<a href="javascript:void(0)">x</a>
<img src="/pic/scan1.png"><img src="/static/icon.png"><img src="data:image/png;base64,xx">
<iframe src="/pdfjs/web/viewer.html?file=%2Fup%2Fb.pdf"></iframe>
<script>createPageHTML(1, 0, "index", "html");</script>
</body></html>"""


@pytest.fixture
def spider(tmp_path):
    crawler = make_crawler(tmp_path, NianbaoSpider)
    spider = NianbaoSpider.from_crawler(crawler)
    spider.state.open_run()
    yield spider
    spider.state.ledger.close()


def _list_meta(**kw):
    return {M.SOURCE_ID: "src", M.ROLE: "list", M.OUTCOME: "ok", M.LIST_ROOT: True, **kw}


def _detail_meta(**kw):
    return {M.SOURCE_ID: "src", M.ROLE: "detail", M.OUTCOME: "ok", M.CAPTURE_ID: 1, M.LIST_TITLE: TITLE,
            M.LIST_DATE: "2024-01-20", M.KIND: "report", **kw}


def test_state_is_found_through_the_crawler(spider):
    assert spider.state is RunState.of(spider.crawler) and not hasattr(spider.crawler, "_nianbao_state")
    assert spider.state.run_id and set(spider.state.sources) == {"src"}


def test_parse_list(spider):
    spider.state.list_open("src")
    out = list(spider.parse_list(html(COLUMN, LIST, meta=_list_meta())))
    details = [r for r in out if r.meta[M.ROLE] == "detail"]
    pages = [r for r in out if r.meta[M.ROLE] == "list"]
    assert [r.url for r in details] == [DETAIL, f"{BASE}/col/col1/202401/t20240122_3.pdf"]
    d = details[0]
    assert (d.meta[M.LIST_TITLE], d.meta[M.LIST_DATE], d.meta[M.KIND], d.meta[M.REFERER]) == (
        TITLE, "2024-01-20", "report", COLUMN)
    assert d.headers["Referer"] == COLUMN.encode() and d.callback == spider.parse_detail
    # The TRS pager: index_1, index_2, read by the same adapter as further pages of this list.
    assert [r.url for r in pages] == [f"{BASE}/col/col1/index_1.html", f"{BASE}/col/col1/index_2.html"]
    assert all(r.meta[M.IS_FOLLOWUP] and r.meta[M.ADAPTER] == "trs" and r.meta[M.SOURCE_ID] == "src"
               for r in pages)
    # The notice is noise: recorded as skipped, not followed.
    assert q(spider.state.ledger.path, "SELECT reason FROM skipped") == [("noise",)]
    assert spider.state.seen_reports["src"] == {r.url for r in details}
    assert spider.state.list_pending["src"] == 2 and "src" in spider.state.list_ok
    assert spider.state.counters["adapter/trs"] == 1


def test_parse_list_failure_blocks_the_source_and_leaves_the_list_incomplete(spider):
    spider.state.list_open("src")
    resp = html(COLUMN, "<html>x</html>", status=412, meta=_list_meta(**{M.OUTCOME: "blocked",
                                                                         M.BLOCKED: "ruishu_412"}))
    assert list(spider.parse_list(resp)) == []
    assert spider.state.complete_lists == set() and spider.state.list_failed == {"src"}
    (reason,), = q(spider.state.ledger.path, "SELECT blocked_reason FROM sources WHERE id = 'src'")
    assert reason == f"ruishu_412 at {COLUMN}"


def test_file_links(spider):
    links = list(spider.file_links(html(DETAIL, DETAIL_PAGE)))
    assert links == [
        (f"{BASE}/uploadfiles/2024/report.pdf", f"{TITLE}.pdf", "attachment"),
        (f"{BASE}/col/col1/202401/downfile.jsp?id=9&showname=biao.xls", "下载", "attachment"),
        (f"{BASE}/files/a.docx#page=2", "附件二", "attachment"),
        (f"{BASE}/pic/tujie.jpg", "图解", "image"),
        (f"{BASE}/up/b.pdf", "b.pdf", "attachment"),
        (f"{BASE}/pic/scan1.png", "scan1.png", "image"),
    ]


def test_parse_detail(spider):
    out = list(spider.parse_detail(html(DETAIL, DETAIL_PAGE, meta=_detail_meta())))
    item, *requests = out
    assert isinstance(item, ReportItem)
    assert (item.url, item.capture_id, item.not_modified, item.source_id) == (DETAIL, 1, False, "src")
    assert (item.seen.list_title, item.seen.list_kind, item.seen.attachments, item.seen.images) == (
        TITLE, "report", 4, 2)
    assert item.seen.region == SOURCE["region"]
    assert [r.url for r in requests] == [
        f"{BASE}/uploadfiles/2024/report.pdf", f"{BASE}/col/col1/202401/downfile.jsp?id=9&showname=biao.xls",
        f"{BASE}/files/a.docx", f"{BASE}/pic/tujie.jpg", f"{BASE}/up/b.pdf", f"{BASE}/pic/scan1.png"]
    first = requests[0]
    assert (first.meta[M.ROLE], first.meta[M.REPORT_URL], first.meta[M.FILENAME]) == (
        "attachment", DETAIL, f"{TITLE}.pdf")
    assert first.headers["Referer"] == DETAIL.encode() and b"If-None-Match" not in first.headers


def test_a_detail_that_is_a_list_page_is_read_as_a_list(spider):
    # TRS's inline pager call marks a (sub-)column; the same page with an ArticleTitle is an article.
    page = (f"<html><body><ul><li><a href='./202401/t20240125_5.html' title='{TITLE}'>x</a></li></ul>"
            "<script>createPageHTML(1, 0, 'index', 'html');</script></body></html>")
    url = f"{BASE}/col/col2/index.html"
    spider.state.seen_reports["src"].add(url)
    out = list(spider.parse_detail(html(url, page, meta=_detail_meta())))
    assert [(r.url, r.meta[M.ROLE]) for r in out] == [(f"{BASE}/col/col2/202401/t20240125_5.html", "detail")]
    assert url not in spider.state.seen_reports["src"] and spider.state.counters["subcolumns"] == 1
    article = page.replace("<body>", f"<head><meta name='ArticleTitle' content='{TITLE}'></head><body>")
    assert isinstance(next(spider.parse_detail(html(url, article, meta=_detail_meta()))), ReportItem)


def test_adapters_know_their_list_pages():
    from crawler import platforms
    hanweb, trs, generic = (platforms.by_name(n) for n in ("hanweb", "trs", "generic"))
    datastore = html(BASE, "<script type='text/xml'><datastore><recordset></recordset></datastore></script>")
    jpaas = html(BASE, "<div url='/jpaas-publish-server/front/page/build/unit'></div>")
    article = html(BASE, "<meta name='ArticleTitle' content='x'><datastore></datastore>")
    assert hanweb.is_list_page(datastore) and hanweb.is_list_page(jpaas)
    assert hanweb.is_list_page(article) is False
    assert trs.is_list_page(datastore) is None and generic.is_list_page(datastore) is None
    assert trs.is_list_page(html(BASE, "<script>createPageHTML(2, 0, 'index', 'html')</script>"))


def test_not_modified_detail_replays_its_links_from_the_warc(spider):
    ledger = spider.state.ledger
    assert list(spider.parse_detail(raw(DETAIL, b"", status=304,
                                        meta=_detail_meta(**{M.OUTCOME: "not_modified"}))))[1:] == []
    assert spider.state.counters["replay_missing_capture"] == 1
    ledger.add_capture(run_id=spider.state.run_id, source_id="src", url=DETAIL, status=200,
                       headers=[("Content-Type", "text/html; charset=utf-8"), ("ETag", '"1"')],
                       body=DETAIL_PAGE.encode(), role="detail")
    item, *requests = spider.parse_detail(raw(DETAIL, b"", status=304,
                                              meta=_detail_meta(**{M.OUTCOME: "not_modified"})))
    assert item.not_modified and item.body is None
    assert len(requests) == 6 and requests[0].meta[M.REPORT_URL] == DETAIL


def test_conditional_headers_only_for_what_was_stored(spider):
    ledger = spider.state.ledger
    url = f"{BASE}/up/b.pdf"
    ledger.add_capture(run_id=spider.state.run_id, source_id="src", url=url, status=200,
                       headers=[("ETag", '"e"'), ("Last-Modified", "Sat, 20 Jan 2024 00:00:00 GMT")],
                       body=b"%PDF-1.4", role="attachment")
    assert spider.conditional(url, "attachment") == {}    # captured, but never stored
    spider.state.ledger.stored = lambda u, role: True
    assert spider.conditional(url, "attachment") == {"If-None-Match": '"e"',
                                                     "If-Modified-Since": "Sat, 20 Jan 2024 00:00:00 GMT"}


def test_parse_attachment_and_failure(spider):
    meta = {M.SOURCE_ID: "src", M.ROLE: "image", M.OUTCOME: "ok", M.CAPTURE_ID: 5, M.REPORT_URL: DETAIL,
            M.FILENAME: "图解"}
    (item,) = spider.parse_attachment(raw(f"{BASE}/pic/tujie.jpg", b"\xff\xd8\xff", meta=meta))
    assert isinstance(item, AttachmentItem)
    assert (item.report_url, item.role, item.filename, item.body, item.capture_id) == (
        DETAIL, "image", "图解", b"\xff\xd8\xff", 5)
    assert list(spider.parse_attachment(raw(f"{BASE}/x.pdf", b"", meta={**meta, M.OUTCOME: "error"}))) == []

    class Failure:
        request = Request(COLUMN, meta={M.SOURCE_ID: "src", M.ROLE: "api", M.OPTIONAL: True})
        value = "timeout"
    spider.state.list_open("src")
    spider.failed(Failure())
    assert spider.state.complete_lists == {"src"}     # an optional page may fail


# ------------------------------------------------------------ list bounds and figures
HOSTILE = f"""<html><body><ul>
<li><a href="./202401/t20240120_1.html" title="{TITLE}">x</a></li>
<li><a href="./202401/t20240121_2.html">关于印发海宁市2023年工作要点的通知</a></li>
</ul><script>var currentPage = 0; var countPage = 100000000;
createPageHTML(countPage, currentPage, "index", "html");</script></body></html>"""


def test_a_printed_page_count_is_a_hint_bounded_by_the_page_cap(spider):
    import time
    spider.state.list_open("src")
    t = time.monotonic()
    out = list(spider.parse_list(html(COLUMN, HOSTILE, meta=_list_meta())))
    assert time.monotonic() - t < 30   # walking 10^8 pages would take hours
    pages = [r for r in out if r.meta[M.ROLE] == "list"]
    # The first page and 499 more (NIANBAO_MAX_LIST_PAGES = 500), in order, not 100000000.
    assert len(pages) == 499 and pages[-1].url == f"{BASE}/col/col1/index_499.html"
    assert [r.url for r in out if r.meta[M.ROLE] == "detail"] == [DETAIL]   # the real report is followed
    state = spider.state
    assert state.capped == {"src"} and state.counters["lists_capped"] == 1
    fig = spider.crawler.stats.get_value("nianbao/lists/src")
    assert fig["found"] == 2 and fig["expected"] == 99999999 * 2 + 1 and fig["capped"]
    # Every page answered: still not complete (capped, and short of what it prints).
    state.list_pending["src"] = 0
    assert state.complete_lists == set() and state.lists_seen() == {}


def test_the_item_cap_stops_reading_the_source(tmp_path):
    from tests.crawler_unit import make_crawler
    crawler = make_crawler(tmp_path, NianbaoSpider, NIANBAO_MAX_LIST_ITEMS=1)
    spider = NianbaoSpider.from_crawler(crawler)
    spider.state.open_run()
    spider.state.list_open("src")
    out = list(spider.parse_list(html(COLUMN, LIST, meta=_list_meta())))
    # One entry, then nothing: no second item, no further page.
    assert [r.url for r in out] == [DETAIL]
    assert spider.state.capped == {"src"} and spider.state.counters["lists_capped/items"] == 1
    spider.state.ledger.close()


def test_expected_items_from_page_counts():
    from crawler.runstate import ListFigures

    def figures(pages, counts, items=None):
        f = ListFigures(per_page=dict(counts), items=items, pages=pages)
        return f.expected()
    assert figures(3, {1: 20, 2: 20, 3: 7}) == 47                # every page read
    assert figures(3, {1: 20, 2: 0, 3: 7}) == 47                 # an empty middle page is missed
    assert figures(3, {1: 20, 3: 7}) == 47                       # so is one never read
    assert figures(3, {1: 20, 2: 20}) == 41                      # the last never read: at least one
    assert figures(4, {1: 20, 2: 20, 3: 7, 4: 0}) == 47          # a stale count's empty last page
    assert figures(3, {1: 20}, items=63) == 63                   # a printed total wins
    assert figures(None, {1: 20}) is None and figures(3, {}) is None


def test_a_walk_ends_at_a_page_that_repeats_the_last(spider):
    """A paged API that ignores its page parameter answers page 1 forever: the walk stops."""
    import json

    from crawler import meta as M
    from crawler import platforms
    from crawler.platforms.base import ListTotal
    hunan = platforms.by_name("hunan")
    body = json.dumps({"data": {"total": 45, "results": [{"url": "/a/t20240101_1.html", "title": TITLE}]}})
    meta = {M.HUNAN: "api", M.PAGE: 1, M.API: f"{BASE}/api", M.LIST_REFERER: COLUMN}
    out = list(hunan.parse_list(html(f"{BASE}/api", body, meta=meta), None))
    assert [o.items for o in out if isinstance(o, ListTotal)] == [45]
    (nxt,) = [o for o in out if isinstance(o, Request)]
    again = list(hunan.parse_list(html(f"{BASE}/api", body, meta={**meta, **nxt.meta}), None))
    assert nxt.meta[M.PREVIOUS_PAGE] and [o for o in again if isinstance(o, Request)] == []


def test_a_json_total_of_a_billion_is_a_hint_bounded_by_the_page_cap(spider):
    """A list API answering `total: 10^9` must not plan 10^7 requests: the cap bounds the walk."""
    import json
    import time

    from scrapy.http import TextResponse
    api = f"{BASE}/gkmlpt/api/all/2611?page=1&sid=758001"
    body = json.dumps({"total": 10**9, "articles": [{"url": DETAIL, "title": TITLE,
                                                      "create_time": 1705708800}]}).encode()
    response = TextResponse(api, body=body, encoding="utf-8", headers={"Content-Type": "application/json"},
                            request=Request(api, meta=_list_meta(**{M.ADAPTER: "gkmlpt"})))
    spider.state.list_open("src")
    t = time.monotonic()
    out = list(spider.parse_list(response))
    assert time.monotonic() - t < 30
    pages = [r for r in out if isinstance(r, Request) and r.meta.get(M.ROLE) != "detail"]
    assert len(pages) == 499                                        # NIANBAO_MAX_LIST_PAGES = 500
    assert [r.url for r in out if isinstance(r, Request) and r.meta.get(M.ROLE) == "detail"] == [DETAIL]
    fig = spider.crawler.stats.get_value("nianbao/lists/src")
    assert fig["expected"] == 10**9 and fig["found"] == 1 and fig["capped"]
    assert spider.state.capped == {"src"}
