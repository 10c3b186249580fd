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


# ------------------------------------------------------------------ blocked sources and exact blocked/broken lists
def test_blocked_sources_answer_with_their_wall(farm):
    blocked = [s for s in farm.sources(blocked=True) if s.get("expect") == "blocked"]
    assert {s["mode"] for s in blocked} == {"ruishu_412", "jsl_521", "wangfang_403"}
    for s in blocked:
        st, hd, body = fetch(farm, s["url"])
        t = body.decode("utf-8", "replace")
        if s["mode"] == "ruishu_412":
            assert st == 412 and "$_ts" in t and "/col/" in s["url"]
            cookie = re.search(r"(X5mockS=[^;]+)", hd["set-cookie"]).group(1)
            assert fetch(farm, s["url"], headers={"Cookie": cookie})[0] == 412    # needs the JS-made T cookie
        elif s["mode"] == "jsl_521":
            assert st == 521 and "__jsl_clearance_s=" in t
        else:
            assert st == 403 and "网防G01" in t
    # the default manifest's blocked list is exactly these walls plus the rate-only throttle
    m = farm.manifest()
    assert {b["url"] for b in m["blocked"] if b.get("when") != "over_rate"} == {s["url"] for s in blocked}
    assert [b["mode"] for b in m["blocked"] if b.get("when") == "over_rate"] == ["throttle"]


FILE = re.compile(r"\.(pdf|docx?|xlsx?|ofd)$|downfile\.jsp|/attachment/", re.I)
ITEM = re.compile(r"/art/\d{4}/|/t\d{8}_\d+\.s?html?$|/\d{8}/[0-9a-f]{32}\.html$|/m?post_\d+\.html|/content_\d+\.html|"
                  r"/cms/html/\w+/\d{4}-|publicInfo\.shtml|xxgkAnnualReport\.jsp")
HW_ALIAS_FORM = "col=1&appid=1&webid=3621&path=/&columnid=1229100100&unitid=4852001&permissiontype=0"


def list_links(farm, page_url, column_url):
    from tests.test_farm_portals import _list_links
    if "/jslib/jquery/jpage/dataproxy.jsp?startrecord" in page_url:
        st, _, data = fetch(farm, page_url, "POST", HW_ALIAS_FORM)
        assert st == 200
        return {urljoin(page_url, h) for h in hrefs(data.decode())}
    if "trs-gbk" in page_url:
        return {urljoin(page_url, h) for h in hrefs(fetch(farm, page_url)[2].decode("gbk"))}
    return _list_links(farm, page_url, column_url)


def test_blocked_and_broken_equal_what_a_crawl_meets(farm, full):
    """Walk every source the way a crawler does (list pages → items → files) and collect what is
    blocked or broken; it must equal the manifest's lists (the rate-only throttle aside)."""
    ok = {r["url"] for r in full["reports"] + full["noise"]}
    files_ok = {a["url"] for r in full["reports"] for a in r["attachments"]}
    met_blocked, met_broken = {}, {}
    for s in farm.sources(variants=True, blocked=True):
        if s.get("expect") == "blocked":
            met_blocked[s["url"]] = s["mode"]
    for p in full["portals"]:
        pages = full["list_pages"][p["id"]]
        items = set()
        for u in pages:
            items |= {x for x in list_links(farm, u, p["column_url"]) if ITEM.search(x.split("#")[0])}
        # a stale pager promises one page more than exists (TRS soft-404 variant)
        for b in full["broken"]:
            if b["portal"] == p["id"] and b["reason"] == "soft_404" and "/index_" in b["url"]:
                st, _, body = fetch(farm, b["url"])
                met_broken[b["url"]] = "soft_404" if st == 200 and "页面不存在" in body.decode() else st
        gk_jumps = {u for u in items if u not in ok and "/zfxxgkgzndbg/content/" in u}
        for u in sorted(items - ok - gk_jumps):
            st, _, body = fetch(farm, u)
            t = decode(body)
            if st == 403 and "网防G01" in t:
                met_blocked[u] = "wangfang_403"
            elif st == 200 and "暂无年报" in t:
                met_broken[u] = "soft_404"
            else:
                raise AssertionError(f"{p['id']}: list links {u} ({st}) which the manifest does not know")
    for r in full["reports"]:
        page = decode(fetch(farm, r["url"])[2])
        for h in hrefs(page):
            u = urljoin(r["url"], h.replace("&amp;", "&"))
            if not FILE.search(u.split("?")[0]) and "downfile.jsp" not in u:
                continue
            if u in files_ok:
                continue
            st, hd, body = fetch(farm, u, headers={"Referer": r["url"]})
            if st == 404:
                met_broken[u] = "404"
            elif st == 200 and hd["content-type"].startswith("text/html"):
                met_broken[u] = "pdf_is_html"
            else:
                raise AssertionError(f"{r['url']} links a file {u} ({st}) the manifest does not know")
    assert met_blocked == {b["url"]: b["mode"] for b in full["blocked"] if b.get("when") != "over_rate"}
    assert met_broken == {b["url"]: b["reason"] for b in full["broken"]}
    assert {"pdf_is_html", "soft_404"} <= set(met_broken.values())


def test_throttle_per_client_and_host(farm):
    a, b = farm.base("www.trs-site.gov.cn.test") + "/", farm.base("www.yl-county.gov.cn.test") + "/"
    farm.set_politeness(True)
    farm.set_throttle(rate=2, penalty=5.0, hosts=None)
    try:
        statuses = [fetch(farm, a)[0] for _ in range(10)]
        assert statuses[0] == 200 and statuses[-1] == 403
        assert "访问过于频繁" in fetch(farm, a)[2].decode()
        assert fetch(farm, b)[0] == 200                  # another host keeps its own count
        assert fetch(farm, a + "robots.txt")[0] == 200   # robots.txt is never throttled
        farm.set_politeness(False)
        assert fetch(farm, a)[0] == 200                  # benchmarks switch it off
    finally:
        farm.set_politeness(False)
        farm.set_throttle()


# ------------------------------------------------------------------ Hanweb legacy dataproxy alias
HWA = "www.hw-town.gov.cn.test"


def test_hanweb_alias_proxy_only_at_the_legacy_path(farm, full):
    col = source(farm, "farm-hw-alias")["url"]
    page = fetch(farm, col)[2].decode()
    proxy = re.search(r"proxyUrl:\s*'([^']+)'", page).group(1)
    assert proxy == "/module/jslib/jquery/jpage/dataproxy.jsp"
    total = int(re.search(r"totalRecord:\s*(\d+)", page).group(1))
    per, group = (int(x) for x in re.search(r"perPage:\s*(\d+),\s*groupSize:\s*(\d+)", page).groups())
    store = re.search(r'<script type="text/xml">(.*?)</script>', page, re.S).group(1)
    inline = [h for h in hrefs(store) if "dataproxy" not in h]
    assert len(inline) == per * group < total
    usual = farm.base(HWA) + f"/module/jpage/dataproxy.jsp?startrecord={per * group + 1}&endrecord={total}&perpage={per}"
    assert fetch(farm, usual, "POST", HW_ALIAS_FORM)[0] == 404
    st, hd, x = fetch(farm, farm.base(HWA) + proxy + f"?startrecord={per * group + 1}&endrecord={total}&perpage={per}",
                      "POST", HW_ALIAS_FORM)
    rest = [h for h in hrefs(x.decode()) if "dataproxy" not in h]
    assert st == 200 and hd["content-type"].startswith("text/xml") and len(rest) == total - per * group
    got = {urljoin(col, h) for h in inline + rest}
    assert portal_items(full, "farm-hw-alias") <= got
    st, hd, js = fetch(farm, farm.base(HWA) + "/module/jslib/jquery/jpage/jquery.page.min.js")
    assert st == 200 and "javascript" in hd["content-type"] and b"proxyUrl" in js
    rep = next(r for r in full["reports"] if r["portal"] == "farm-hw-alias" and r["attachments"])
    st, hd, _ = fetch(farm, rep["attachments"][0]["url"])
    assert st == 302
    st, _, data = fetch(farm, urljoin(rep["url"], hd["location"]))
    assert hashlib.sha256(data).hexdigest() == rep["attachments"][0]["sha256"]


# ------------------------------------------------------------------ ylcms leaf directory
def test_ylcms_leaf_directory_list(farm, full):
    from lxml import html as lh
    pid = "farm-yl-leaf"
    col = source(farm, pid)["url"]
    assert "leafInfoDirectoryPageEnable=true" in col and col.endswith("&page=1")
    doc = lh.fromstring(fetch(farm, col)[2])
    lis = doc.xpath("//ul[@id='infos']/div[@class='menuli']/li")
    assert len(lis) == 10
    n = max(int(k) for k in re.findall(r"&page=(\d+)", fetch(farm, col)[2].decode().replace("&amp;", "&")))
    assert n == len(full["list_pages"][pid]) == 3
    got = set()
    for k in range(1, n + 1):
        d = lh.fromstring(fetch(farm, col[:-1] + str(k))[2])
        got |= {urljoin(col, h) for h in d.xpath("//ul[@id='infos']/div[@class='menuli']/li/a/@href")}
    assert got == portal_items(full, pid)
    past = lh.fromstring(fetch(farm, col[:-1] + str(n + 1))[2])
    assert past.xpath("//ul[@id='infos']") and not past.xpath("//ul[@id='infos']//li")
    st, _, body = fetch(farm, col.replace("directoryId=1", "directoryId=9"))
    assert st == 200 and "页面不存在" in body.decode()
    rep = next(r for r in full["reports"] if r["portal"] == pid and r["attachments"])
    assert "publicInfo.shtml" in rep["url"]
    page = fetch(farm, rep["url"])[2].decode()
    assert 'id="pdfattachments"' in page and "/pdfjs/web/viewer.html?file=" in page


# ------------------------------------------------------------------ gkmlpt datacenter-IP block
def test_gkmlpt_datacenter_block_resets_the_first_requests(farm):
    import http.client
    gd = farm.base("www.gd-county.gov.cn.test") + "/gkmlpt/index"
    farm.set_dc_block(2)
    try:
        for _ in range(2):
            with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
                fetch(farm, gd)
        assert fetch(farm, gd)[0] == 200
        farm.set_dc_block(1)
        assert fetch(farm, farm.base("www.trs-site.gov.cn.test") + "/")[0] == 200   # other hosts unaffected
    finally:
        farm.set_dc_block(0)
    assert fetch(farm, gd)[0] == 200
    # The farm logs a request after answering it: wait for the last one, then order by arrival.
    import time
    deadline = time.monotonic() + 5
    while True:
        arrived = sorted((r for r in farm.request_log if r["host"] == "www.gd-county.gov.cn.test"),
                         key=lambda r: r["time"])
        if [r["status"] for r in arrived][-4:] == [0, 0, 200, 200] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [r["status"] for r in arrived][-4:] == [0, 0, 200, 200]


# ------------------------------------------------------------------ report cache
def test_report_cache_round_trip(tmp_path, monkeypatch):
    from farm import cache
    from farm.reports import ReportSpec, generate
    monkeypatch.setenv("NIANBAO_FARM_CACHE", str(tmp_path))
    spec = ReportSpec(agency="缓存县人民政府", year=2023, layout="attachment_only", attachment="xlsx", seed=7)
    assert cache.load(spec) is None
    g = cache.generate_cached(spec)
    files = list(tmp_path.rglob("*.pkl"))
    assert len(files) == 1 and cache.code_hash() in str(files[0])
    again = cache.load(spec)
    assert again == g == generate(spec)
    assert again.attachments[0].data[:4] == b"PK\x03\x04"
    monkeypatch.setenv("NIANBAO_FARM_CACHE", "off")
    assert cache.cache_dir() is None and cache.load(spec) is None


@pytest.mark.browser
def test_variant_scripts_render_in_chromium(farm, full):
    """The pager scripts write the page links, and the jpage shim reads the alias proxy, in a real browser."""
    from browser_links import rendered_links
    urls = {pid: source(farm, pid)["url"]
            for pid in ("farm-hw-alias", "farm-trs-onebased", "farm-trs-chongqing")}
    got = rendered_links(urls, wait_ms=2000)
    got["pagination_index"] = rendered_links({"p": urls["farm-trs-onebased"]}, wait_ms=2000,
                                             selector="div.pagination_index a[href]")["p"]
    assert portal_items(full, "farm-hw-alias") <= got["farm-hw-alias"]
    for pid in ("farm-trs-onebased", "farm-trs-chongqing"):
        assert set(full["list_pages"][pid][1:]) <= got[pid], pid
    assert set(full["list_pages"]["farm-trs-onebased"][1:]) <= got["pagination_index"]
