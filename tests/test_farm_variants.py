"""The farm's opt-in additions over plain HTTP: the TRS template variants (each on its own host),
blocked sources, the Hanweb legacy dataproxy alias, ylcms leaf directories, the datacenter-IP
block, throttling, and the manifest's blocked/broken lists against what a crawl meets."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import urljoin, urlsplit

import pytest

from farm import Farm
from tests.test_farm_portals import fetch, hrefs


@pytest.fixture(scope="module")
def farm():
    f = Farm(port=0)
    f.set_politeness(False)
    yield f
    f.close()


@pytest.fixture(scope="module")
def full(farm):
    return farm.manifest(variants=True)


def portal_items(m, pid):
    return {r["url"] for r in m["reports"] + m["noise"] if r["portal"] == pid}


def source(farm, pid):
    return next(s for s in farm.sources(variants=True, blocked=True) if s["id"] == pid)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


# ------------------------------------------------------------------ opt-in only
TRS_VARIANTS = ("shtml", "htm", "onebased", "chongqing", "table", "gbk", "hexids", "soft404", "waf")


def test_variants_and_blocked_sources_are_opt_in(farm, full):
    default = {s["id"] for s in farm.sources()}
    assert not {i for i in default if i.startswith(("farm-trs-", "farm-blocked-"))}
    assert {p["id"] for p in farm.manifest()["portals"]} == default
    extra = farm.sources(variants=True, blocked=True)
    ids = {s["id"] for s in extra}
    assert {f"farm-trs-{k}" for k in TRS_VARIANTS} <= ids
    hosts = [urlsplit(s["url"]).hostname for s in extra if s["id"].startswith("farm-trs-")]
    assert len(set(hosts)) == len(hosts) == len(TRS_VARIANTS)          # each variant its own host
    assert all(s["expect"] == "variant" for s in extra if s["id"].startswith("farm-trs-"))
    assert {s["mode"] for s in extra if s.get("expect") == "blocked"} == {"ruishu_412", "jsl_521", "wangfang_403"}
    # every variant has ≥ 3 years and real list pages in the full manifest
    for k in TRS_VARIANTS:
        pid = f"farm-trs-{k}"
        assert len({r["report_year"] for r in full["reports"] if r["portal"] == pid}) == 3
        assert len(full["list_pages"][pid]) == 4


# ------------------------------------------------------------------ TRS variants, each crawled by its own rules
def pager_pages(kind: str, text: str, base: str) -> list[str]:
    """Page URLs 2..N as a reader of that template would derive them (written independently of the farm)."""
    if kind == "onebased":
        m = re.search(r"createPageHTML\('page_div', (\d+), (\d+), 'index', '(\w+)', (\d+)\);", text)
        n, ext = int(m.group(1)), m.group(3)
        return [urljoin(base, f"index_{i}.{ext}") for i in range(2, n + 1)]
    if kind == "chongqing":
        m = re.search(r'createPage\((\d+), (\d+), "index", "(\w+)"\);', text)
        n, ext = int(m.group(1)), m.group(3)
    else:
        n = int(re.search(r"var countPage = (\d+);", text).group(1))
        ext = re.search(r'createPageHTML\(countPage, currentPage, "index", "(\w+)"\)', text).group(1)
    return [urljoin(base, f"index_{i}.{ext}") for i in range(1, n)]


DETAIL = re.compile(r"/t\d{8}_\d+\.s?html?$|/\d{8}/[0-9a-f]{32}\.html$")


@pytest.mark.parametrize("kind", TRS_VARIANTS)
def test_trs_variant_list_pages_reach_exactly_the_manifest(farm, full, kind):
    pid = f"farm-trs-{kind}"
    col = source(farm, pid)["url"]
    st, hd, first = fetch(farm, col)
    text = decode(first)
    assert st == 200
    pages = pager_pages(kind, text, col)
    links, statuses = set(), {}
    for u in [col] + pages:
        st, hd, data = fetch(farm, u)
        statuses[u] = st
        if st == 200:
            links |= {urljoin(u, h) for h in hrefs(decode(data)) if DETAIL.search(urljoin(u, h))}
    blocked = {b["url"] for b in full["blocked"] if b["portal"] == pid}
    assert links == portal_items(full, pid) | blocked
    real = full["list_pages"][pid]
    assert [col] + pages[:len(real) - 1] == real
    if kind == "soft404":
        stale = pages[-1]
        assert len(pages) == len(real)        # the pager promises one page more than exists
        assert statuses[stale] == 200 and "页面不存在" in fetch(farm, stale)[2].decode()
        assert {"url": stale, "reason": "soft_404", "portal": pid} in full["broken"]
    else:
        assert set(statuses.values()) == {200}
    if kind == "waf":
        (b,) = [b for b in full["blocked"] if b["portal"] == pid]
        st, _, body = fetch(farm, b["url"])
        assert st == 403 and "网防G01" in body.decode() and b["mode"] == "wangfang_403"
        assert b["url"] not in {r["url"] for r in full["reports"]}


def test_trs_suffix_variants(farm, full):
    for kind, ext in (("shtml", "shtml"), ("htm", "htm")):
        pid = f"farm-trs-{kind}"
        col = source(farm, pid)["url"]
        urls = portal_items(full, pid)
        assert urls and all(u.endswith("." + ext) for u in urls)
        assert fetch(farm, col + f"index.{ext}")[2] == fetch(farm, col)[2]
        assert fetch(farm, col + "index.html")[0] == 404          # only the variant's suffix exists
        assert fetch(farm, col + f"index_1.{ext}")[0] == 200


def test_trs_one_based_and_chongqing_pagers(farm, full):
    col = source(farm, "farm-trs-onebased")["url"]
    n_items = len(portal_items(full, "farm-trs-onebased"))
    p2 = fetch(farm, col + "index_2.html")[2].decode()
    assert f"createPageHTML('page_div', 4, 2, 'index', 'html', {n_items});" in p2
    assert 'class="pagination_index"' in p2 and "pagination_go(" in p2
    assert fetch(farm, col + "index_1.html")[0] == 404 and fetch(farm, col + "index_5.html")[0] == 404
    cq = source(farm, "farm-trs-chongqing")["url"]
    assert 'createPage(4, 0, "index", "html");' in fetch(farm, cq)[2].decode()
    assert 'createPage(4, 3, "index", "html");' in fetch(farm, cq + "index_3.html")[2].decode()


def test_trs_table_layout(farm, full):
    from lxml import html as lh
    pid = "farm-trs-table"
    page = lh.fromstring(fetch(farm, source(farm, pid)["url"])[2])
    rows = page.xpath("//table//tr[td/a]")
    assert len(rows) == 8
    for tr in rows:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", tr.xpath("td[@class='huise']/text()")[0])
        assert not tr.xpath("td/a/@title")           # old tables: title only as anchor text
    rep = next(r for r in full["reports"] if r["portal"] == pid and r["kind"] == "report" and r["cells"])
    doc = lh.fromstring(fetch(farm, rep["url"])[2])
    (body,) = doc.xpath("//td[@class='heise']")
    raws = [c["raw"] for c in rep["cells"] if c["raw"] and len(c["raw"]) >= 3]
    text = body.text_content()
    assert raws and all(r in text for r in raws[:20])


def test_trs_gbk_everywhere(farm, full):
    pid = "farm-trs-gbk"
    urls = [source(farm, pid)["url"]] + full["list_pages"][pid][1:] + sorted(portal_items(full, pid))
    for u in urls:
        st, hd, data = fetch(farm, u)
        assert st == 200 and hd["content-type"] == "text/html", u
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert b'charset=gb2312' in data and b"charset=utf-8" not in data
    rep = next(r for r in full["reports"] if r["portal"] == pid)
    assert rep["title"] in fetch(farm, rep["url"])[2].decode("gbk")


def test_trs_hex_ids(farm, full):
    pid = "farm-trs-hexids"
    reps = [r for r in full["reports"] if r["portal"] == pid]
    for r in reps:
        assert re.search(r"/nw12344/\d{8}/[0-9a-f]{32}\.html$", r["url"]), r["url"]
    rep = next(r for r in reps if r["cells"])
    page = fetch(farm, rep["url"])[2].decode()
    assert 'id="ivs_content"' in page and rep["title"] in page
    att = next(r for r in reps if r["attachments"])["attachments"][0]
    assert re.search(r"/nw12344/\d{8}/P0\d+\.pdf$", att["url"])


@pytest.mark.parametrize("kind", ("shtml", "gbk", "hexids", "table"))
def test_trs_variant_attachments_referer_gated(farm, full, kind):
    pid = f"farm-trs-{kind}"
    rep = next(r for r in full["reports"] if r["portal"] == pid and r["attachments"])
    a = rep["attachments"][0]
    assert fetch(farm, a["url"])[0] == 501
    st, _, data = fetch(farm, a["url"], headers={"Referer": rep["url"]})
    assert st == 200 and hashlib.sha256(data).hexdigest() == a["sha256"] and data.startswith(b"%PDF-")
