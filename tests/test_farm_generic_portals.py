"""The opt-in portals of CMS families no adapter targets (farm/portals/sitekit.py): they serve,
their lists declare totals that match the manifest, the Epoint JSON API answers like Epoint's,
the UCAP details carry neighbour links, no adapter recognises their pages, and the broken-page
switch breaks exactly the page asked for — HTML pages and POSTed API pages alike."""
from __future__ import annotations

import hashlib
import http.client
import json
import re
from urllib.parse import urljoin, urlsplit

import pytest

from farm import Farm
from farm.portals import epoint, jsplist, nonb

GENERIC = ("farm-ep", "farm-kp", "farm-jsp")
EP_HOST = epoint.HOST


@pytest.fixture(scope="module")
def farm():
    f = Farm(port=0, warm=False)
    f.set_politeness(False)
    yield f
    f.close()


@pytest.fixture(scope="module")
def manifest(farm):
    return farm.manifest(generic=True)


def fetch(farm, url, method="GET", body=None, headers=None):
    u = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", farm.port, timeout=20)
    conn.request(method, u.path + ("?" + u.query if u.query else ""), body=body,
                 headers={"Host": u.netloc, "User-Agent": "farm-test", **(headers or {})})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def api(farm, params: dict | None = None, form: bool = False, raw: dict | None = None, method: str = "POST"):
    """POST Epoint's list API the way its script does ({"params": "<json string>"}) or as a form field."""
    p = {"siteGuid": epoint.SITE_GUID, "categorynum": epoint.NB_CAT, "deptcode": "", "pageIndex": 0,
         "pageSize": epoint.PER, **(params or {})}
    if raw is not None:
        body, ctype = json.dumps(raw), "application/json"
    elif form:
        from urllib.parse import urlencode
        body, ctype = urlencode({"params": json.dumps(p)}), "application/x-www-form-urlencoded"
    else:
        body, ctype = json.dumps({"params": json.dumps(p)}), "application/json;charset=UTF-8"
    st, data = fetch(farm, farm.base(EP_HOST) + epoint.API, method, body.encode() if method == "POST" else None,
                     {"Content-Type": ctype})
    return st, (json.loads(data) if data[:1] == b"{" else data)


def column_items(manifest, pid):
    return {r["url"] for r in manifest["reports"] + manifest["noise"] if r["portal"] == pid}


def hrefs(base: str, html: bytes) -> set[str]:
    return {urljoin(base, h.replace("&amp;", "&")) for h in re.findall(r'href="([^"]+)"', html.decode())}


# ------------------------------------------------------------------ registry and manifest
def test_generic_portals_are_opt_in(farm, manifest):
    default = {s["id"] for s in farm.sources()}
    assert not default & set(GENERIC)
    assert {p["id"] for p in farm.manifest()["portals"]} == default
    src = {s["id"]: s for s in farm.sources(generic=True)}
    assert set(GENERIC) <= set(src) and default <= set(src)
    for pid in GENERIC:
        assert src[pid]["render"] == "auto" and "platform" not in src[pid]
    assert "farm-nonb" not in src                                    # no 年报 column, no source
    portals = {p["id"]: p for p in manifest["portals"]}
    assert {portals[p]["family"] for p in GENERIC} == {"epoint", "ucap", "jsp-pager"}
    assert all(portals[p]["platform"] is None and portals[p]["home"].endswith(".gov.cn.test:%d/" % farm.port)
               for p in GENERIC)


def test_reports_with_cells_for_three_years(manifest):
    for pid in GENERIC:
        reps = [r for r in manifest["reports"] if r["portal"] == pid]
        assert len(reps) >= 36, pid
        assert {r["report_year"] for r in reps} == {2021, 2022, 2023}
        assert sum(1 for r in reps if r["cells"]) >= 30, pid                 # tables in the body
        assert any(r["attachments"] for r in reps), pid
        assert len(manifest["list_pages"][pid]) >= 5, pid


def test_no_adapter_recognises_their_pages(farm, manifest):
    """They must look unlike the six families: only the generic fallback matches."""
    from scrapy.http import HtmlResponse

    from crawler.platforms import ADAPTERS
    urls = [u for pid in GENERIC for u in manifest["list_pages"][pid] if epoint.API not in u]
    urls += [next(r["url"] for r in manifest["reports"] if r["portal"] == pid and r["attachments"]) for pid in GENERIC]
    for url in urls:
        st, body = fetch(farm, url)
        assert st == 200, url
        resp = HtmlResponse(url, body=body, encoding="utf-8")
        assert [a.name for a in ADAPTERS if a.matches(resp)] == ["generic"], url


# ------------------------------------------------------------------ static lists: totals and items
@pytest.mark.parametrize("pid", ["farm-kp", "farm-jsp"])
def test_static_lists_declare_their_totals(farm, manifest, pid):
    want = column_items(manifest, pid)
    linked, declared = set(), {}
    for url in manifest["list_pages"][pid]:
        st, body = fetch(farm, url)
        assert st == 200, url
        text = body.decode()
        m = re.search(r"共(\d+)条", text)
        links = hrefs(url, body) & want
        linked |= links
        if m is None:                      # only UCAP's column, which lists its year sub-columns
            assert url.endswith("/xxgknb/index.shtml") and not links
            continue
        declared.setdefault(urlsplit(url).path.rsplit("/", 1)[0], int(m.group(1)))
        assert 0 < len(links) <= 10
    assert linked == want
    assert sum(declared.values()) == len(want)


def test_jsp_pager_is_offset_based_and_past_the_end_empty(farm, manifest):
    pages = manifest["list_pages"]["farm-jsp"]
    st, body = fetch(farm, farm.base(jsplist.HOST) + jsplist.list_url(jsplist.NB))
    st0, body0 = fetch(farm, pages[0])
    assert st == st0 == 200 and body == body0                        # page 1 = offset 0
    text = body.decode()
    assert re.search(r"共44条 1/5页", text)
    assert "pager.offset=10" in text and not re.search(r"index_\d|[?&](page|pageNo|pageNum)=", text)
    st, body = fetch(farm, farm.base(jsplist.HOST) + jsplist.list_url(jsplist.NB, 50))
    assert st == 200 and not hrefs(pages[0], body) & column_items(manifest, "farm-jsp")


def test_ucap_year_subcolumns(farm, manifest):
    col = next(p["column_url"] for p in manifest["portals"] if p["id"] == "farm-kp")
    st, body = fetch(farm, col)
    subs = re.findall(r'<a href="(\d{4})n/index.shtml" title="(\d{4})年政府信息公开年报">(\d{4})年</a>', body.decode())
    assert [s[0] for s in subs] == ["2023", "2022", "2021"] and all(a == b == c for a, b, c in subs)
    assert "<ucapcontent>" in body.decode()


# ------------------------------------------------------------------ Epoint: JS shell over a JSON API
def test_epoint_shell_has_no_items(farm, manifest):
    col = next(p["column_url"] for p in manifest["portals"] if p["id"] == "farm-ep")
    st, body = fetch(farm, col)
    assert st == 200 and not hrefs(col, body) & column_items(manifest, "farm-ep")
    assert b'data-categorynum="002004"' in body and b"/js/govinfolist.js" in body
    st, js = fetch(farm, farm.base(EP_HOST) + "/js/webBuilderCommon.js")
    assert epoint.SITE_GUID.encode() in js and b"/EWB-FRONT" in js


def test_epoint_api_pages_cover_the_column(farm, manifest):
    want = column_items(manifest, "farm-ep")
    got, k = [], 0
    while True:
        st, j = api(farm, {"pageIndex": k})
        assert st == 200 and j["status"]["code"] == 200
        assert j["custom"]["total"] == len(want)
        data = j["custom"]["data"]
        if not data:
            break
        got += [farm.base(EP_HOST) + d["infourl"] for d in data]
        for d in data:   # the list title is cut, the real title whole
            assert d["realtitle"].startswith(d["title"].rstrip("…"))
            assert len(d["title"]) <= 25 and (d["title"] == d["realtitle"] or d["title"].endswith("…"))
        k += 1
    assert k == len(manifest["list_pages"]["farm-ep"]) - 1 == 5      # 0-based pageIndex 0..4
    assert len(got) == len(set(got)) and set(got) == want
    titles = {r["url"]: r["title"] for r in manifest["reports"] if r["portal"] == "farm-ep"}
    assert any(len(t) > 24 for t in titles.values())                  # some titles are really cut


def test_epoint_api_variants(farm):
    st, j = api(farm, {"pageIndex": 1}, form=True)                    # params as a form field
    st2, j2 = api(farm, {"pageIndex": 1})
    assert st == st2 == 200 and j == j2 and len(j["custom"]["data"]) == 10
    st, _ = api(farm, method="GET")
    assert st == 405
    st, j = api(farm, raw={"siteGuid": epoint.SITE_GUID, "categorynum": epoint.NB_CAT})   # unwrapped parameters
    assert st == 200 and j == api(farm)[1]                            # are read too (pageIndex 0 by default)
    st, j = api(farm, {"categorynum": "009999"})
    assert j["custom"] == {"total": 0, "data": []}
    st, j = api(farm, {"categorynum": "002001"})                      # a sibling column through the same API
    assert j["custom"]["total"] >= 2 and not any("年度报告" in d["realtitle"] for d in j["custom"]["data"])


@pytest.mark.browser
def test_epoint_pager_walks_every_page_in_chromium(farm, manifest):
    """One page at a time in the DOM; the javascript:; pager reaches every item."""
    import asyncio

    from crawler import browser as chromium
    if not chromium.available():
        pytest.skip("Debian chromium not installed")
    from playwright.async_api import async_playwright
    col = next(p["column_url"] for p in manifest["portals"] if p["id"] == "farm-ep")

    async def walk():
        seen, shown = set(), []
        async with async_playwright() as p:
            b = await p.chromium.launch(**chromium.launch_options())
            pg = await b.new_page()
            await pg.goto(col, wait_until="networkidle")
            for k in range(1, 11):
                await pg.wait_for_selector(f'#govinfo-list[data-page="{k}"]')   # set once page k is drawn
                links = await pg.eval_on_selector_all("#govinfo-list a[href]", "els => els.map(e => e.href)")
                shown.append((len(links), (await pg.inner_text("#govinfo-pager")).split("首页")[0].strip()))
                seen |= set(links)
                nxt = await pg.query_selector("#govinfo-pager a.next")
                if nxt is None:
                    break
                assert await nxt.get_attribute("href") == "javascript:;"
                await nxt.click()
            await b.close()
        return seen, shown

    seen, shown = asyncio.run(walk())
    assert shown[0] == (10, "共44条 第1/5页") and shown[-1] == (4, "共44条 第5/5页") and len(shown) == 5
    assert seen == column_items(manifest, "farm-ep")


# ------------------------------------------------------------------ details
def test_ucap_detail_neighbours_attachments_and_dead_file(farm, manifest):
    reps = [r for r in manifest["reports"] if r["portal"] == "farm-kp"]
    r = next(r for r in reps if r["attachments"] and r["kind"] == "report")
    st, body = fetch(farm, r["url"])
    text = body.decode()
    assert st == 200 and 'id="UCAP-CONTENT"' in text and "上一条：" in text and "下一条：" in text
    rel = re.search(r'<div class="xglj"><h3>相关链接</h3><ul>(.*?)</ul>', text).group(1)
    report_urls = {x["url"] for x in reps}
    assert len(hrefs(r["url"], rel.encode()) & report_urls) >= 3
    fj = re.search(r'<div class="fj">(.*?)</div>', text).group(1)
    for a in r["attachments"]:
        assert a["url"] in hrefs(r["url"], fj.encode())
        st, data = fetch(farm, a["url"])
        assert st == 200 and hashlib.sha256(data).hexdigest() == a["sha256"]
    dead = [b for b in manifest["broken"] if b["portal"] == "farm-kp"]
    assert len(dead) == 1 and fetch(farm, dead[0]["url"])[0] == 404
    owner = next(x for x in reps if dead[0]["url"] in hrefs(x["url"], fetch(farm, x["url"])[1]))
    assert owner["kind"] == "attachment_only" and owner["attachments"] == []


def test_every_report_and_attachment_serves(farm, manifest):
    for r in (r for r in manifest["reports"] if r["portal"] in GENERIC):
        st, body = fetch(farm, r["url"])
        assert st == 200 and r["title"] in body.decode(), r["url"]
        for a in r["attachments"]:
            st, data = fetch(farm, a["url"])
            assert st == 200 and hashlib.sha256(data).hexdigest() == a["sha256"], a["url"]


# ------------------------------------------------------------------ the broken-page switch
def _page_status(farm, pid, url):
    if epoint.API in url:
        k = int(url.rsplit("pageIndex=", 1)[1])
        st, j = api(farm, {"pageIndex": k})
        return st
    return fetch(farm, url)[0]


@pytest.mark.parametrize("pid", GENERIC)
def test_broken_page_three(farm, manifest, pid):
    pages = manifest["list_pages"][pid]
    try:
        farm.set_broken_page(pid, 3)
        assert [_page_status(farm, pid, u) for u in pages] == [500 if i == 2 else 200 for i in range(len(pages))]
        farm.set_broken_page(pid, 3, "empty")
        assert _page_status(farm, pid, pages[2]) == 200
        if epoint.API not in pages[2]:
            assert not hrefs(pages[2], fetch(farm, pages[2])[1]) & column_items(manifest, pid)
        else:   # the API answers its own envelope: no items, the total unchanged
            st, j = api(farm, {"pageIndex": 1})
            assert j["custom"] == {"total": len(column_items(manifest, pid)), "data": []}
        farm.set_broken_page(pid, 1)     # page 1 alone: a page-1 URL is not a prefix of the others
        assert [_page_status(farm, pid, u) for u in pages][:4] == [500, 200, 200, 200]
    finally:
        farm.set_broken_page(pid, 0)
    assert all(_page_status(farm, pid, u) == 200 for u in pages)


# ------------------------------------------------------------------ the portal without a 年报 column
def test_no_nianbao_portal_serves_a_site_without_reports(farm):
    from nianbao import titles
    base = farm.base(nonb.HOST)
    seen, todo, texts = set(), ["/"], []
    while todo:
        p = todo.pop()
        if p in seen or not p.startswith("/"):
            continue
        seen.add(p)
        st, body = fetch(farm, base + p)
        if st != 200:
            continue
        texts += re.findall(r">([^<>]{4,})</a>", body.decode())
        todo += [urlsplit(u).path for u in hrefs(base + p, body) if urlsplit(u).hostname == nonb.HOST]
    assert len(seen) >= 15
    assert "政府信息公开指南" in texts and "法定主动公开内容" in texts
    assert [t for t in texts if titles.classify(t) == "report"] == []
    assert any("年度报告" in t for t in texts)                          # the notice: a near miss
