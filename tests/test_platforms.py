"""Adapters on real farm pages (fetched over HTTP from the farm, parsed without Scrapy's engine)."""
import urllib.request

import pytest
from scrapy.http import HtmlResponse, Request

from crawler import platforms
from crawler.platforms.base import ListEntry, ListTotal
from farm import Farm


@pytest.fixture(scope="module")
def farm():
    with Farm(port=0) as f:
        yield f


def fetch(farm, url, meta=None):
    host = url.split("//", 1)[1].split(":", 1)[0]
    req = urllib.request.Request(url.replace(host, "127.0.0.1"), headers={"Host": f"{host}:{farm.port}",
                                                                          "User-Agent": "nianbao-test"})
    with urllib.request.urlopen(req) as r:
        return HtmlResponse(url, body=r.read(), headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url, meta=meta or {}))


def source(farm, sid):
    from crawler.registry import parse
    return parse([s for s in farm.sources() if s["id"] == sid])[0]


@pytest.mark.parametrize("sid,family", [("farm-trs", "trs"), ("farm-hw-county", "hanweb"),
                                        ("farm-hw-prov", "hanweb"), ("farm-yl", "ylcms"),
                                        ("farm-hn-county", "hunan")])
def test_fingerprint_picks_the_family(farm, sid, family):
    s = source(farm, sid)
    assert platforms.detect(fetch(farm, s.url)).name == family


def test_trs_first_page_yields_entries_and_other_pages(farm):
    s = source(farm, "farm-trs")
    out = list(platforms.by_name("trs").parse_list(fetch(farm, s.url), s))
    entries = [o for o in out if isinstance(o, ListEntry)]
    pages = [o.url for o in out if isinstance(o, Request)]
    want = farm.manifest()["list_pages"]["farm-trs"][1:]
    assert pages == want
    assert len(entries) == 20 and all(e.date and e.title for e in entries)
    # What the page prints about the list (`dataCount`, the pager call), before the further pages.
    (total,) = [o for o in out if isinstance(o, ListTotal)]
    manifest = farm.manifest()
    listed = [r for r in manifest["reports"] + manifest["noise"] if r["portal"] == "farm-trs"]
    assert (total.items, total.pages, total.page) == (len(listed), len(want) + 1, 1)
    assert out.index(total) < out.index(next(o for o in out if isinstance(o, Request)))


def test_generic_reads_trs_pager_script(farm):
    s = source(farm, "farm-trs")
    out = list(platforms.by_name("generic").parse_list(fetch(farm, s.url), s))
    pages = [o.url for o in out if isinstance(o, Request)]
    assert pages == farm.manifest()["list_pages"]["farm-trs"][1:]


def test_hanweb_inline_group_then_windows(farm):
    s = source(farm, "farm-hw-county")
    out = list(platforms.by_name("hanweb").parse_list(fetch(farm, s.url), s))
    entries = [o for o in out if isinstance(o, ListEntry)]
    reqs = [o for o in out if isinstance(o, Request)]
    assert len(entries) == 45 and [o.items for o in out if isinstance(o, ListTotal)][0] > 45
    assert reqs and all(r.method == "POST" and "startrecord=46" in reqs[0].url for r in reqs[:1])
