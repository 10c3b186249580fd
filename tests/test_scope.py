"""crawler/scope.py on its own: which requests the crawler refuses to send, and why (no network,
no reactor: DNS answers are injected)."""
from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler import scope
from crawler.scope import OffScope, RenderedScopeMiddleware, Scope, ScopeMiddleware, site_of
from tests.crawl_helpers import write_registry

FARM = "http://www.hostile.gov.cn.test:8080/gkmlpt/index#2611"
REAL = "https://www.xx-county.gov.cn/col/col123/index.html"


@pytest.fixture
def crawler(tmp_path):
    def make(allow="", sources=None):
        reg = write_registry(tmp_path / "sources.yml", sources or [
            {"id": "farm-x", "name": "farm", "url": FARM},
            {"id": "real", "name": "real", "url": REAL, "hosts": ["files.cdn-gov.com", "*.oss.example.net"]}])
        return get_crawler(settings_dict={"NIANBAO_REGISTRY": str(reg), "NIANBAO_ALLOW_PRIVATE_HOSTS": allow})
    return make


def run(mw, request, dns: dict[str, str] | None = None):
    """process_request with a fake resolver; returns the refusal reason or None."""
    asked = []

    async def resolve(host):
        asked.append(host)
        return (dns or {}).get(host)
    mw._resolve = resolve
    try:
        asyncio.run(mw.process_request(request))
    except OffScope as e:
        return str(e), asked
    return None, asked


def req(url, source="farm-x", **meta):
    return Request(url, meta={"source_id": source, **meta} if source else meta)


# ------------------------------------------------------------------ sites
def test_sites_offline():
    assert scope.EXTRACT.suffix_list_urls == ()
    assert site_of("www.xx-county.gov.cn") == "xx-county.gov.cn"
    assert site_of("jyj.xx-county.gov.cn") == "xx-county.gov.cn"
    assert site_of("xxt.hn-mock.gov.cn.test") == "hn-mock.gov.cn.test"
    assert site_of("WWW.Example.COM.") == "example.com"
    assert site_of("127.0.0.1") == "127.0.0.1"
    assert site_of("localhost") == "localhost"


def test_tldextract_never_downloads(monkeypatch):
    def no_network(*a, **k):
        raise AssertionError("tldextract tried the network")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fresh = scope.tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    assert fresh("a.b.example.co.uk").top_domain_under_public_suffix == "example.co.uk"
    # Scrapy's cookie middleware uses the same offline snapshot
    from scrapy.downloadermiddlewares import cookies
    assert cookies._split_domain.suffix_list_urls == ()
    assert cookies._split_domain("x.gov.cn").suffix == "gov.cn"


# ------------------------------------------------------------------ the middleware
def test_same_site_allowed_with_the_farm_allowance(crawler):
    mw = ScopeMiddleware(crawler("*.test"))
    for url in ("http://www.hostile.gov.cn.test:8080/a/post_1.html",
                "http://files.hostile.gov.cn.test:8080/x.pdf",          # another host of the same site
                "https://hostile.gov.cn.test/x.pdf"):
        assert run(mw, req(url)) == (None, []), url        # allowed *.test: no DNS asked


@pytest.mark.parametrize("url, why", [
    ("file:///etc/hostname", "scheme file not allowed"),
    ("ftp://127.0.0.1/x.pdf", "scheme ftp not allowed"),
    ("data:text/html,<h1>x</h1>", "scheme data not allowed"),
    ("about:blank", "scheme about not allowed"),
    ("s3://bucket/x.pdf", "scheme s3 not allowed"),
    ("http://example.com/", "link to http://example.com/ leaves source farm-x"),
    ("http://127.0.0.1:8081/secret.pdf", "link to http://127.0.0.1:8081/secret.pdf leaves source farm-x"),
    ("http://localhost/secret.pdf", "leaves source farm-x"),
    ("http://www.other.gov.cn.test/x.pdf", "leaves source farm-x"),
])
def test_refused(crawler, url, why):
    reason, asked = run(ScopeMiddleware(crawler("*.test")), req(url))
    assert reason is not None and why in reason
    assert asked == []                                       # refused before any DNS


def test_refusal_is_an_ignore_request():
    assert issubclass(OffScope, IgnoreRequest)


def test_redirect_hops_are_judged(crawler):
    """Scrapy's RedirectMiddleware builds each hop; the hop carries `redirect_urls` and comes back
    through ScopeMiddleware."""
    c = crawler("*.test")
    mw, redirect = ScopeMiddleware(c), RedirectMiddleware.from_crawler(c)
    first = req("http://www.hostile.gov.cn.test:8080/a/post_9.html")
    assert run(mw, first)[0] is None
    for location, why in (("http://127.0.0.1:8081/", "redirect to http://127.0.0.1:8081/ leaves source farm-x"),
                          ("http://example.com/", "redirect to http://example.com/ leaves source farm-x")):
        hop = redirect.process_response(first, Response(first.url, status=302, headers={"Location": location}))
        assert isinstance(hop, Request) and hop.meta["redirect_urls"] == [first.url]
        reason, asked = run(mw, hop)
        assert reason == f"{why} (from {first.url})" and asked == []
    same = redirect.process_response(first, Response(first.url, status=302,
                                                     headers={"Location": "/a/post_10.html"}))
    assert run(mw, same)[0] is None


def test_private_addresses_need_the_allowance(crawler):
    mw = ScopeMiddleware(crawler(""))                     # default: nothing private allowed
    reason, asked = run(mw, req("http://www.hostile.gov.cn.test:8080/x.html"),
                        dns={"www.hostile.gov.cn.test": "127.0.0.1"})
    assert reason == "host www.hostile.gov.cn.test resolves to loopback address 127.0.0.1"
    assert asked == ["www.hostile.gov.cn.test"]
    mw = ScopeMiddleware(crawler("*.test"))
    assert run(mw, req("http://www.hostile.gov.cn.test:8080/x.html"))[0] is None


def test_names_resolving_to_private_addresses(crawler):
    mw = ScopeMiddleware(crawler("*.test"))
    for address, kind in (("10.0.0.5", "private"), ("169.254.169.254", "link-local"), ("224.0.0.1", "multicast"),
                          ("240.0.0.1", "private"), ("0.0.0.0", "unspecified"), ("::1", "loopback"),
                          ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "non-public")):
        reason, _ = run(mw, req("https://files.xx-county.gov.cn/a.pdf", source="real"),
                        dns={"files.xx-county.gov.cn": address})
        assert reason == f"host files.xx-county.gov.cn resolves to {kind} address {address}", address
    # a public address, and a name that does not resolve (the download reports that), pass
    assert run(mw, req("https://files.xx-county.gov.cn/a.pdf", source="real"),
               dns={"files.xx-county.gov.cn": "203.119.26.1"})[0] is None
    assert run(mw, req("https://files.xx-county.gov.cn/a.pdf", source="real"), dns={})[0] is None


def test_literal_ips_are_not_covered_by_a_name_pattern(crawler):
    # robots.txt has no source: it follows its own URL, so only the address rule applies
    for allow in ("*.test", "*.test,localhost.test"):
        mw = ScopeMiddleware(crawler(allow))
        for url in ("http://127.0.0.1:8081/robots.txt", "http://[::1]/robots.txt", "http://10.1.2.3/robots.txt"):
            reason, asked = run(mw, Request(url))
            assert reason and "address" in reason and asked == [], (allow, url)
        reason, _ = run(mw, Request("http://localhost:8081/robots.txt"), dns={"localhost": "127.0.0.1"})
        assert reason == "host localhost resolves to loopback address 127.0.0.1"
    # only an explicit pattern allows an IP
    mw = ScopeMiddleware(crawler("127.0.0.1"))
    assert run(mw, Request("http://127.0.0.1:8081/robots.txt"))[0] is None
    assert run(mw, Request("http://8.8.8.8/robots.txt"))[0] is None            # public literal: fine


def test_source_hosts_from_the_registry(crawler):
    mw = ScopeMiddleware(crawler(""))
    public = {"files.cdn-gov.com": "203.0.113.9", "a.oss.example.net": "198.51.100.7"}
    public = {h: "8.8.4.4" for h in public}
    assert run(mw, req("https://files.cdn-gov.com/2023.pdf", source="real"), dns=public)[0] is None
    assert run(mw, req("https://a.oss.example.net/2023.pdf", source="real"), dns=public)[0] is None
    reason, _ = run(mw, req("https://evil.cdn-gov.com/2023.pdf", source="real"))
    assert reason == "link to https://evil.cdn-gov.com/2023.pdf leaves source real"
    reason, _ = run(mw, req("https://files.cdn-gov.com/2023.pdf", source="farm-x"))   # not farm-x's host
    assert "leaves source farm-x" in reason
    assert "not in the registry" in run(mw, req("https://www.xx-county.gov.cn/", source="nope"))[0]


def test_registry_hosts_key(tmp_path):
    from crawler import registry
    (s,) = registry.parse([{"id": "a", "name": "A", "url": REAL, "hosts": ["files.cdn-gov.com"]}])
    assert s.hosts == ["files.cdn-gov.com"]
    (s,) = registry.parse([{"id": "a", "name": "A", "url": REAL}])
    assert s.hosts == []
    assert Scope.hosts_of(SimpleNamespace(hosts="One.Example.com")) == ["one.example.com"]


def test_rendered_final_url_is_judged(crawler):
    mw = RenderedScopeMiddleware(crawler("*.test"))
    request = req("http://www.hostile.gov.cn.test:8080/list.html")
    moved = HtmlResponse("http://127.0.0.1:8081/", body=b"<html>secret</html>", request=request,
                         flags=["playwright"])
    with pytest.raises(OffScope, match="browser redirect to http://127.0.0.1:8081/ leaves source farm-x "
                                       r"\(from http://www.hostile.gov.cn.test:8080/list.html\)"):
        mw.process_response(request, moved)
    same = HtmlResponse("http://www.hostile.gov.cn.test:8080/list2.html", body=b"<html></html>", request=request,
                        flags=["playwright"])
    assert mw.process_response(request, same) is same
    plain = HtmlResponse("http://127.0.0.1:8081/", body=b"x", request=request)   # not rendered: Scrapy's redirects
    assert mw.process_response(request, plain) is plain


# ------------------------------------------------------------------ Chromium
def pw_request(url, page_url, resource_type="script"):
    frame = SimpleNamespace(page=SimpleNamespace(url=page_url))
    return SimpleNamespace(url=url, resource_type=resource_type, frame=frame)


def test_browser_requests(crawler):
    ScopeMiddleware(crawler("*.test"))      # leaves the crawl's rules for the abort hook
    page = "http://www.hostile.gov.cn.test:8080/list.html"
    allowed = [pw_request("http://www.hostile.gov.cn.test:8080/app.js", page),
               pw_request("http://api.hostile.gov.cn.test:8080/list.json", page, "xhr"),
               pw_request(page, "about:blank", "document"),          # Scrapy's own navigation
               pw_request("https://www.xx-county.gov.cn/col/x.html", "about:blank", "document")]
    aborted = [pw_request("http://127.0.0.1:8081/secret", page, "fetch"),
               pw_request("http://example.com/x.js", page),
               pw_request("http://127.0.0.1:8081/", "about:blank", "document"),
               pw_request("http://localhost:8081/", page, "document"),
               pw_request("file:///etc/hostname", page, "xhr"),
               pw_request("ftp://127.0.0.1/x.pdf", page, "document"),
               pw_request("http://www.hostile.gov.cn.test:8080/logo.png", page, "image")]
    assert [r.url for r in allowed if scope.abort_request(r)] == []
    assert [r.url for r in aborted if not scope.abort_request(r)] == []


def test_browser_request_without_a_frame(crawler):
    ScopeMiddleware(crawler("*.test"))

    class Worker:
        url, resource_type = "http://127.0.0.1:8081/sw.js", "script"

        @property
        def frame(self):
            raise RuntimeError("service worker request")
    assert scope.abort_request(Worker())


def test_browser_registry_hosts(crawler):
    ScopeMiddleware(crawler(""))
    page = "https://www.xx-county.gov.cn/col/col123/index.html"
    assert not scope.abort_request(pw_request("https://files.cdn-gov.com/a.js", page))
    assert scope.abort_request(pw_request("https://evil.cdn-gov.com/a.js", page))
