"""CaptureMiddleware: every answer and failure becomes a `captures` row with its outcome, on
responses built here and a ledger on a temporary SQLite file."""
from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from crawler import meta as M
from crawler.middlewares import CaptureMiddleware
from crawler.runstate import RunState
from crawler.scope import OffScope
from tests.crawl_helpers import q
from tests.crawler_unit import html, make_crawler, raw

URL = "http://www.example.gov.cn.test/art/2024/1/20/art_1_1.html"
REPORT = "<html><body><h1>海宁市人民政府2023年政府信息公开工作年度报告</h1>" + "<p>正文</p>" * 2000 + "</body></html>"


@pytest.fixture
def mw(tmp_path):
    crawler = make_crawler(tmp_path)
    mw = CaptureMiddleware.from_crawler(crawler)
    state = RunState.of(crawler)
    assert mw.state is state
    state.open_run()
    yield mw
    state.ledger.close()


def _capture(mw, response):
    out = mw.process_response(response.request, response)
    assert out is response
    meta = response.request.meta
    row = q(mw.state.ledger.path, "SELECT outcome, error, role, size, source_id, run_id FROM captures WHERE id = ?",
            [meta[M.CAPTURE_ID]])[0]
    assert meta[M.OUTCOME] == row[0] and row[4] == "src" and row[5] == mw.state.run_id
    return row


def test_ok(mw):
    outcome, error, role, size, *_ = _capture(mw, html(URL, REPORT, meta={M.SOURCE_ID: "src", M.ROLE: "detail"}))
    assert (outcome, error, role) == ("ok", None, "detail") and size > 6000
    assert mw.state.counters["outcome/ok"] == 1


def test_blocked(mw):
    resp = html(URL, "<script>$_ts=window['$_ts'];</script>", status=412, meta={M.SOURCE_ID: "src", M.ROLE: "list"})
    outcome, error, *_ = _capture(mw, resp)
    assert outcome == "blocked" and resp.request.meta[M.BLOCKED] == "ruishu_412"
    assert error == "blocked: ruishu_412" and mw.state.counters["blocked/ruishu_412"] == 1


def test_http_error(mw):
    outcome, error, *_ = _capture(mw, html(URL, "<html>oops</html>", status=500, meta={M.SOURCE_ID: "src"}))
    assert (outcome, error) == ("error", "HTTP 500")


def test_soft_404_on_a_detail_but_an_empty_list_is_ok(mw):
    outcome, error, *_ = _capture(mw, html(URL, "<html><body>您访问的页面不存在或已被删除</body></html>",
                                           meta={M.SOURCE_ID: "src", M.ROLE: "detail"}))
    assert outcome == "error" and error.startswith("soft 404")
    outcome, *_ = _capture(mw, html(URL + "?list", "<html><body>暂无信息</body></html>",
                                    meta={M.SOURCE_ID: "src", M.ROLE: "list"}))
    assert outcome == "ok"


def test_not_modified_keeps_no_body(mw):
    outcome, error, role, size, *_ = _capture(mw, raw(URL, b"", status=304, meta={M.SOURCE_ID: "src",
                                                                                M.ROLE: "detail"}))
    assert (outcome, size) == ("not_modified", None)


def test_html_served_under_a_file_url_is_an_error(mw):
    for url in ("http://www.example.gov.cn.test/a.pdf", "http://www.example.gov.cn.test/down?f=a.docx&x=1"):
        outcome, error, role, *_ = _capture(mw, html(url, REPORT, meta={M.SOURCE_ID: "src", M.ROLE: "attachment"}))
        assert (outcome, error, role) == ("error", "HTML page served under a file URL", "attachment")
    outcome, *_ = _capture(mw, raw("http://www.example.gov.cn.test/b.pdf", b"%PDF-1.4 ...",
                                   meta={M.SOURCE_ID: "src", M.ROLE: "attachment"}))
    assert outcome == "ok"


def test_failures(mw):
    ledger = mw.state.ledger
    for exc, outcome in [(IgnoreRequest("Forbidden by robots.txt"), "robots_denied"),
                         (OffScope("host not in scope"), "off_scope"),
                         (ValueError("Cancelling download: maxsize exceeded"), "too_large"),
                         (ConnectionRefusedError("refused"), "error")]:
        req = Request(URL, meta={M.SOURCE_ID: "src", M.ROLE: "detail"})
        assert mw.process_exception(req, exc) is None
        assert req.meta[M.OUTCOME] == outcome
        assert q(ledger.path, "SELECT outcome FROM captures WHERE id = ?", [req.meta[M.CAPTURE_ID]]) == [(outcome,)]
    # Any other IgnoreRequest (e.g. a duplicate) is not a capture.
    req = Request(URL, meta={M.SOURCE_ID: "src"})
    assert mw.process_exception(req, IgnoreRequest("filtered")) is None
    assert M.CAPTURE_ID not in req.meta


def test_robots_role_and_fragment(mw):
    outcome, _, role, *_ = _capture(mw, raw("http://www.example.gov.cn.test/robots.txt", b"User-agent: *\n",
                                            meta={M.SOURCE_ID: "src"}))
    assert role == "robots"
    resp = html(URL + "#2611", REPORT, meta={M.SOURCE_ID: "src", M.ROLE: "list"})
    _capture(mw, resp)
    assert q(mw.state.ledger.path, "SELECT url FROM captures WHERE id = ?", [resp.request.meta[M.CAPTURE_ID]]) \
        == [(URL,)]


def test_a_refused_browser_redirect_is_recorded(mw):
    from crawler.scope import browser_refused
    req = Request(URL, meta={M.SOURCE_ID: "src", M.ROLE: "list", "playwright": True})
    mw.crawler.signals.send_catch_log(browser_refused, request=req, exception=OffScope("browser redirect"))
    assert q(mw.state.ledger.path, "SELECT outcome, error, rendered FROM captures WHERE id = ?",
             [req.meta[M.CAPTURE_ID]]) == [("off_scope", "OffScope: browser redirect", 1)]
