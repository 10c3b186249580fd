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


# ------------------------------------------------ rendered DOM cap, gzip bombs, redirect loops
def _row(mw, req):
    return q(mw.state.ledger.path, "SELECT url, final_url, status, outcome, error, sha256, warc_file, role "
                                   "FROM captures WHERE id = ?", [req.meta[M.CAPTURE_ID]])[0]


def test_rendered_dom_has_its_own_smaller_cap(tmp_path):
    crawler = make_crawler(tmp_path, DOWNLOAD_MAXSIZE=64 << 20, NIANBAO_MAX_RENDERED_BYTES=5000)
    mw = CaptureMiddleware.from_crawler(crawler)
    mw.state.open_run()
    try:
        meta = {M.SOURCE_ID: "src", M.ROLE: "list", "playwright": True}
        resp = html(URL, REPORT, meta=meta)            # ~ 26 KB: over 5,000, far under 64 MB
        assert len(resp.body) > 5000
        mw.process_response(resp.request, resp)
        url, final, status, outcome, error, sha, warc, _ = _row(mw, resp.request)
        assert (outcome, sha, warc) == ("too_large", None, None)
        assert error == f"rendered DOM of {len(resp.body)} bytes > 5000"
        # the same bytes fetched without the browser pass: DOWNLOAD_MAXSIZE applies to them
        plain = html(URL, REPORT, meta={M.SOURCE_ID: "src", M.ROLE: "list"})
        mw.process_response(plain.request, plain)
        assert _row(mw, plain.request)[3] == "ok"
        small = html(URL, "<html><body>短</body></html>", meta=meta)
        mw.process_response(small.request, small)
        assert _row(mw, small.request)[3] == "ok"
    finally:
        mw.state.ledger.close()


def test_rendered_cap_off_leaves_the_download_maxsize(tmp_path):
    crawler = make_crawler(tmp_path, DOWNLOAD_MAXSIZE=5000, NIANBAO_MAX_RENDERED_BYTES=0)
    mw = CaptureMiddleware.from_crawler(crawler)
    mw.state.open_run()
    try:
        resp = html(URL, REPORT, meta={M.SOURCE_ID: "src", M.ROLE: "list", "playwright": True})
        mw.process_response(resp.request, resp)
        assert _row(mw, resp.request)[3:5] == ("too_large", f"rendered DOM of {len(resp.body)} bytes > 5000")
    finally:
        mw.state.ledger.close()


def test_default_rendered_cap_is_smaller_than_the_download_maxsize():
    from scrapy.settings import Settings
    s = Settings()
    s.setmodule("crawler.settings")
    assert 0 < s.getint("NIANBAO_MAX_RENDERED_BYTES") == 20 << 20 < s.getint("DOWNLOAD_MAXSIZE")
    mws = s.getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["crawler.middlewares.CapturedCompressionMiddleware"] == 590
    assert mws["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] is None
    assert mws["crawler.middlewares.CapturedRedirectMiddleware"] == 600
    assert mws["scrapy.downloadermiddlewares.redirect.RedirectMiddleware"] is None


def _gzip(data: bytes) -> bytes:
    import gzip
    return gzip.compress(data, compresslevel=9)


def test_gzip_bomb_is_a_too_large_capture(mw):
    from crawler.middlewares import CapturedCompressionMiddleware
    comp = CapturedCompressionMiddleware.from_crawler(mw.crawler)
    comp._max_size = 100_000
    bomb = _gzip(b"<html><body>" + b" " * 1_000_000 + b"</body></html>")
    assert len(bomb) < 5000
    resp = raw(URL, bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
               meta={M.SOURCE_ID: "src", M.ROLE: "detail"})
    with pytest.raises(IgnoreRequest):
        comp.process_response(resp.request, resp)
    url, final, status, outcome, error, sha, warc, role = _row(mw, resp.request)
    assert (url, final, status, outcome, sha, warc, role) == (URL, URL, 200, "too_large", None, None, "detail")
    assert error.startswith("Content-Encoding gzip: ") and "exceeded DOWNLOAD_MAXSIZE (100000 B)" in error
    assert mw.state.counters["outcome/too_large"] == 1
    # a gzip body under the limit is decoded and left to CaptureMiddleware: no capture here
    ok = raw(URL, _gzip(b"<html><body>ok</body></html>"), headers={"Content-Encoding": "gzip"},
             meta={M.SOURCE_ID: "src", M.ROLE: "detail"})
    out = comp.process_response(ok.request, ok)
    assert out.body == b"<html><body>ok</body></html>" and M.CAPTURE_ID not in ok.request.meta


def _redirect(req, location, status=302):
    return raw(req.url, b"", status=status, headers={"Location": location}, meta=req.meta) \
        .replace(request=req)


def test_redirect_loop_is_an_error_capture(mw):
    from crawler.middlewares import CapturedRedirectMiddleware
    red = CapturedRedirectMiddleware.from_crawler(mw.crawler)
    a, b = "http://www.example.gov.cn.test/loop-a.html", "http://www.example.gov.cn.test/loop-b.html"
    req = Request(a, meta={M.SOURCE_ID: "src", M.ROLE: "detail"})
    hop = red.process_response(req, _redirect(req, "/loop-b.html"))
    assert isinstance(hop, Request) and hop.url == b and M.CAPTURE_ID not in req.meta
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        red.process_response(hop, _redirect(hop, "/loop-a.html#top"))
    url, final, status, outcome, error, sha, warc, role = _row(mw, hop)
    assert (url, final, status, outcome, role) == (a, b, 302, "error", "detail")
    assert error == f"redirect loop: {a} → {b} → {a}#top"
    # a chain that never repeats a hop is followed
    c = Request("http://www.example.gov.cn.test/c.html", meta={M.SOURCE_ID: "src"})
    assert isinstance(red.process_response(c, _redirect(c, "/d.html")), Request)


def test_too_many_redirects_is_an_error_capture(tmp_path):
    from crawler.middlewares import CapturedRedirectMiddleware
    crawler = make_crawler(tmp_path, REDIRECT_MAX_TIMES=2)
    mw = CaptureMiddleware.from_crawler(crawler)
    mw.state.open_run()
    try:
        red = CapturedRedirectMiddleware.from_crawler(crawler)
        req = Request("http://www.example.gov.cn.test/r0.html", meta={M.SOURCE_ID: "src", M.ROLE: "detail"})
        for i in range(1, 3):
            req = red.process_response(req, _redirect(req, f"/r{i}.html"))
        with pytest.raises(IgnoreRequest, match="max redirections"):
            red.process_response(req, _redirect(req, "/r3.html"))
        url, final, status, outcome, error, *_ = _row(mw, req)
        assert (url, final, status, outcome) == ("http://www.example.gov.cn.test/r0.html",
                                                 "http://www.example.gov.cn.test/r2.html", 302, "error")
        assert error.startswith("max redirections reached: ") and error.endswith("r1.html → "
                                                                               "http://www.example.gov.cn.test/r2.html")
    finally:
        mw.state.ledger.close()
