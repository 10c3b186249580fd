"""The sample portal farm over plain HTTP: each family's mechanics, the manifest's completeness,
the adversarial fixtures and the switches (edition, flaky, conditional requests)."""
from __future__ import annotations

import http.client
import json
import re
import time
from urllib.parse import urljoin, urlsplit

import pytest

from farm import Farm


@pytest.fixture(scope="module")
def farm():
    t0 = time.perf_counter()
    f = Farm(port=0)
    print(f"\nfarm started in {time.perf_counter() - t0:.3f}s")   # acceptance: < 5 s (not asserted)
    f.set_politeness(False)
    yield f
    f.close()


@pytest.fixture(scope="module")
def manifest(farm):
    return farm.manifest()


def fetch(farm, url, method="GET", body=None, headers=None):
    """HTTP to 127.0.0.1:<port> with the URL's host in the Host header; returns (status, headers, bytes)."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", farm.port, timeout=20)
    path = u.path + ("?" + u.query if u.query else "")
    h = {"Host": u.netloc, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 farm-test"}
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    if body is not None:
        h.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    hd = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, hd, data


def url(farm, host, path):
    return farm.base(host) + path


# ------------------------------------------------------------------ family mechanics
HW = "www.hw-county.gov.cn.test"
COL_A = "/col/col1229000100/index.html"
A_FORM = ("col=1&appid=1&webid=3611&path=/&columnid=1229000100&sourceContentType=1&unitid=4851098"
          "&webname=%E6%B8%85%E6%B2%B3%E5%8E%BF&permissiontype=0")


def hrefs(text):
    return re.findall(r'href="([^"]+)"', text)


def test_hanweb_county_page2_only_through_dataproxy_window(farm, manifest):
    st, _, b = fetch(farm, url(farm, HW, COL_A))
    page = b.decode()
    assert st == 200
    store = re.search(r'<script type="text/xml">(.*?)</script>', page, re.S).group(1)
    inline = [h for h in hrefs(store) if "/art/" in h]
    total = int(re.search(r"totalRecord:\s*(\d+)", page).group(1))
    assert len(inline) == 45 < total
    assert re.search(r'<ul class="main_list"></ul>', page)           # visible list empty
    # the server ignores uid/pageNum: "page 2" by URL is the same bytes
    _, _, b2 = fetch(farm, url(farm, HW, COL_A + "?uid=4851098&pageNum=2"))
    assert b2 == b
    st, hd, x = fetch(farm, url(farm, HW, "/module/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"),
                      "POST", A_FORM)
    assert st == 200 and hd["content-type"].startswith("text/xml")
    rest = [h for h in hrefs(x.decode()) if "/art/" in h]
    assert len(rest) == total - 45 and not set(rest) & set(inline)
    assert f"<totalrecord>{total}</totalrecord>" in x.decode()
    # one request for everything, past-the-end and wrong column
    _, _, allx = fetch(farm, url(farm, HW, "/module/jpage/dataproxy.jsp?startrecord=1&endrecord=600&perpage=200"),
                       "POST", A_FORM)
    assert len([h for h in hrefs(allx.decode()) if "/art/" in h]) == total
    _, _, past = fetch(farm, url(farm, HW, "/module/jpage/dataproxy.jsp?startrecord=901&endrecord=945&perpage=15"),
                       "POST", A_FORM)
    assert "<record>" not in past.decode()
    _, _, wrong = fetch(farm, url(farm, HW, "/module/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"),
                        "POST", A_FORM.replace("1229000100", "999"))
    assert "<record>" not in wrong.decode()
    assert fetch(farm, url(farm, HW, "/module/web/jpage/dataproxy.jsp?page=1"))[0] == 404


def test_hanweb_county_downfile_redirect_and_xxgk(farm, manifest):
    rep = next(r for r in manifest["reports"] if r["portal"] == "farm-hw-county" and r["attachments"])
    a = rep["attachments"][0]
    assert "/module/download/downfile.jsp?classid=0&filename=" in a["url"]
    st, hd, _ = fetch(farm, a["url"])
    assert st == 302 and re.fullmatch(r"/attach/0/[0-9a-f]{32}\.\w+", hd["location"])
    st, hd, data = fetch(farm, urljoin(a["url"], hd["location"]))
    import hashlib
    assert st == 200 and hashlib.sha256(data).hexdigest() == a["sha256"]
    assert fetch(farm, url(farm, HW, "/module/download/downfile.jsp?classid=0&filename=" + "0" * 32 + ".pdf"))[0] == 404
    # xxgk search: POST, filtered by infotypeId, pager via funGoPage
    st, _, frag = fetch(farm, url(farm, HW, "/module/xxgk/search.jsp?currpage=1"), "POST", "infotypeId=A0607&currpage=1")
    text = frag.decode()
    assert re.search(r"共 \d+ 条记录 第 1/\d+ 页", text) and "funGoPage('/module/xxgk/search.jsp',2)" in text
    # the annual-report renderer duplicates the /art/ page
    dup = next(r for r in manifest["reports"] if r["portal"] == "farm-hw-county" and r["duplicate_urls"])
    st, _, b = fetch(farm, dup["duplicate_urls"][0])
    assert st == 200 and dup["title"] in b.decode()
    st, _, b = fetch(farm, url(farm, HW, "/module/xxgk/xxgkAnnualReport.jsp?area=nope&fbtime=2023"))
    assert st == 200 and "暂无年报" in b.decode()


PROV = "www.hw-prov.gov.cn.test"


def test_hanweb_province_page_proxy_jpaas_truecms_and_ua(farm, manifest):
    q = "appid=1&webid=1&path=/&columnid=60096&unitid=212860&permissiontype=0"
    st, hd, x1 = fetch(farm, url(farm, PROV, f"/module/web/jpage/dataproxy.jsp?page=1&{q}"))
    t = x1.decode()
    total, pages = int(re.search(r"<totalrecord>(\d+)", t).group(1)), int(re.search(r"<totalpage>(\d+)", t).group(1))
    assert st == 200 and pages >= 2
    _, _, x1b = fetch(farm, url(farm, PROV, f"/module/web/jpage/dataproxy.jsp?page=1&startrecord=40&endrecord=60&{q}"))
    assert x1b == x1                                             # startrecord/endrecord ignored
    _, _, big = fetch(farm, url(farm, PROV, f"/module/web/jpage/dataproxy.jsp?page=1&perpage=300&{q}"))
    assert len(re.findall(r"<record>", big.decode())) == total
    _, _, past = fetch(farm, url(farm, PROV, f"/module/web/jpage/dataproxy.jsp?page={pages + 1}&{q}"))
    assert "<record>" not in past.decode()
    assert fetch(farm, url(farm, PROV, "/module/jpage/dataproxy.jsp?startrecord=1&endrecord=45"), "POST", "x=1")[0] == 404
    # jpaas: no list in the shell; paging only inside paramJson
    _, _, shell = fetch(farm, url(farm, PROV, "/col/col70001/index.html"))
    assert "/art/" not in shell.decode() and 'src="/jpaas/AuthorizedRead/unitbuild.js"' in shell.decode()
    api = "/api-gateway/jpaas-publish-server/front/page/build/unit?parseType=bulidstatic&webId=3630&tplSetId=5HrZi" \
          "&pageType=column&tagId=%E5%BD%93%E5%89%8D%E6%A0%8F%E7%9B%AElist&editType=null&pageId=70001"
    p1 = json.loads(fetch(farm, url(farm, PROV, api + '&paramJson={"pageNo":1,"pageSize":15}'))[2])
    p2 = json.loads(fetch(farm, url(farm, PROV, api + '&paramJson={"pageNo":2,"pageSize":15}'))[2])
    top = json.loads(fetch(farm, url(farm, PROV, api + '&pageNo=2&paramJson={"pageNo":1,"pageSize":15}'))[2])
    assert p1["success"] and p1["data"]["html"].count("<li>") == 15 and p2["data"]["html"] != p1["data"]["html"]
    assert top == p1
    end = json.loads(fetch(farm, url(farm, PROV, api + '&paramJson={"pageNo":99,"pageSize":15}'))[2])
    assert end["data"]["html"] == '<ul class="list"></ul>'
    bad = json.loads(fetch(farm, url(farm, PROV, api.replace("tagId=%E5", "tagId=x%E5") + "&paramJson={}"))[2])
    assert bad == {"success": False, "code": "500", "data": None}
    # truecms JSONP: 404 without Referer, BOM + blank lines before the callback with it
    tc = url(farm, PROV, "/truecms/messageController/getMessage.do?startrecord=1&endrecord=50&perpage=50&columnId=80001&callback=cb")
    assert fetch(farm, tc)[0] == 404
    st, _, j = fetch(farm, tc, headers={"Referer": url(farm, PROV, "/col/col80001/index.html")})
    text = j.decode("utf-8")
    assert st == 200 and text.lstrip("\n").startswith("\ufeffcb(") and "/art/" in text
    over = fetch(farm, tc.replace("perpage=50", "perpage=100"), headers={"Referer": "http://x/"})[2].decode()
    assert '"result": ""' in over
    # Jiangsu UA sensitivity
    assert fetch(farm, url(farm, PROV, "/"), headers={"User-Agent": "Scrapy/2.19 (+https://scrapy.org)"})[0] == 403
    assert fetch(farm, url(farm, PROV, "/"), headers={"User-Agent": "python-requests/2.32"})[0] == 403


TRS = "www.trs-site.gov.cn.test"
TCOL = "/zwgk/zfxxgk/zfxxgknb/"


def test_trs_zero_based_pages_and_referer_gated_attachments(farm, manifest):
    _, _, p0 = fetch(farm, url(farm, TRS, TCOL))
    assert fetch(farm, url(farm, TRS, TCOL + "index.html"))[2] == p0
    n = int(re.search(r"var countPage = (\d+);", p0.decode()).group(1))
    assert n == len(manifest["list_pages"]["farm-trs"]) >= 3
    assert 'createPageHTML(countPage, currentPage, "index", "html")' in p0.decode()
    st, _, p1 = fetch(farm, url(farm, TRS, TCOL + "index_1.html"))
    assert st == 200 and "var currentPage = 1;" in p1.decode()
    links0 = set(re.findall(r'href="(\./\d{6}/t\d{8}_\d+\.html)"', p0.decode()))
    links1 = set(re.findall(r'href="(\./\d{6}/t\d{8}_\d+\.html)"', p1.decode()))
    assert len(links0) == 20 and links1 and not links0 & links1
    assert fetch(farm, url(farm, TRS, TCOL + "index_0.html"))[0] == 404
    assert fetch(farm, url(farm, TRS, TCOL + f"index_{n}.html"))[0] == 404
    rep = next(r for r in manifest["reports"] if r["portal"] == "farm-trs" and r["attachments"])
    a = rep["attachments"][0]["url"]
    assert re.search(r"/\d{6}/P0\d{8}\d{12}\.\w+$", a)
    assert fetch(farm, a)[0] == 501
    st, hd, data = fetch(farm, a, headers={"Referer": rep["url"]})
    magic = {"application/pdf": b"%PDF-", "application/msword": b"\xd0\xcf\x11\xe0"}.get(rep["attachments"][0]["mime"], b"PK\x03\x04")
    assert st == 200 and data.startswith(magic)
    _, _, detail = fetch(farm, rep["url"])
    oldsrc = re.search(r'OLDSRC="([^"]+)"', detail.decode()).group(1)
    assert oldsrc.startswith("/protect/") and fetch(farm, url(farm, TRS, oldsrc), headers={"Referer": rep["url"]})[0] == 404
    # the lying .pdf: 200 text/html
    lie = next(b for b in manifest["broken"] if b["reason"] == "pdf_is_html")
    st, hd, data = fetch(farm, lie["url"], headers={"Referer": url(farm, TRS, TCOL)})
    assert lie["url"].endswith(".pdf") and st == 200 and hd["content-type"].startswith("text/html") and not data.startswith(b"%PDF")


GD = "www.gd-county.gov.cn.test"


def test_gkmlpt_list_only_in_json(farm, manifest):
    _, hd, shell = fetch(farm, url(farm, GD, "/gkmlpt/index"))
    assert "post_" not in shell.decode() and 'src="/gkmlpt/static/js/app.js"' in shell.decode()
    j1 = json.loads(fetch(farm, url(farm, GD, "/gkmlpt/api/all/2611?page=1&sid=758001"))[2])
    assert set(j1) == {"classify", "total", "offset", "articles"} and j1["offset"] == 0
    assert len(j1["articles"]) == 100 < j1["total"]
    pages = -(-j1["total"] // 100)
    assert pages >= 3
    last = json.loads(fetch(farm, url(farm, GD, f"/gkmlpt/api/all/2611?page={pages}&sid=758001"))[2])
    assert last["offset"] == (pages - 1) * 100 and len(last["articles"]) == j1["total"] - last["offset"]
    assert json.loads(fetch(farm, url(farm, GD, "/gkmlpt/api/all/2611?page=1&sid=1"))[2])["classify"] is None
    arts = [a for p in range(1, pages + 1)
            for a in json.loads(fetch(farm, url(farm, GD, f"/gkmlpt/api/all/2611?page={p}&sid=758001"))[2])["articles"]]
    assert sum(a["type"] == "url" for a in arts) == 2 and any(a["url"].startswith("//") for a in arts)
    rep = next(r for r in manifest["reports"] if r["portal"] == "farm-gd")
    mp = rep["duplicate_urls"][0]
    assert "/mpost_" in mp and rep["title"] in fetch(farm, mp)[2].decode()
    page = fetch(farm, rep["url"])[2].decode()
    assert 'class="article-content"' in page and "DETAIL:" in page and 'td class="td-label"' in page
    # static twin column: 1-based index_2.html
    assert fetch(farm, url(farm, GD, "/zwgk/zfxxgkgzndbg/index_2.html"))[0] == 200
    assert fetch(farm, url(farm, GD, "/zwgk/zfxxgkgzndbg/index_1.html"))[0] == 404
    assert b"Disallow: /" in fetch(farm, url(farm, "gd-county.gov.cn.test", "/robots.txt"))[2]


YL = "www.yl-county.gov.cn.test"


def test_ylcms_sitemanage_paging_and_typeb(farm, manifest):
    _, _, p1 = fetch(farm, url(farm, YL, "/cms/html/xxrmzf/zfxxgknb/index.html"))
    t = p1.decode()
    assert '<meta name="siteIdMeta" content="830612491159490002">' in t
    n = max(int(k) for k in re.findall(r"index\.shtml\?siteId=830612491159490002&page=(\d+)", t))
    assert n >= 3
    assert fetch(farm, url(farm, YL, "/cms/sitemanage/index.shtml?siteId=830612491159490002&page=1"))[2] == p1
    _, _, pn = fetch(farm, url(farm, YL, f"/cms/sitemanage/index.shtml?siteId=830612491159490002&page={n + 1}"))
    assert '<UL id="resources"></UL>' in pn.decode()
    rep = next(r for r in manifest["reports"] if r["portal"] == "farm-yl" and "/cms/html/" in r["url"])
    assert re.search(r'name="PubDate" content="\d{4}—\d{2}—\d{2} \d{2}:\d{2}"', fetch(farm, rep["url"])[2].decode())
    tb = next(r for r in manifest["reports"] if r["portal"] == "farm-yl" and "publicInfo.shtml" in r["url"])
    page = fetch(farm, tb["url"])[2].decode()
    assert 'id="pdfattachments"' in page and 'id="wordattachments"' in page


def test_hunan_api_needs_origin_and_numeric_county_pages(farm, manifest):
    api = url(farm, "api.hn-mock.gov.cn.test", "/search/common/search/80675")
    form = "page=1&_pageSize=20"
    st, _, b = fetch(farm, api, "POST", form)
    assert st == 403 and json.loads(b) == {"code": 403, "msg": "forbidden"}
    assert fetch(farm, api, "POST", form, {"Origin": "http://evil.example"})[0] == 403
    st, _, b = fetch(farm, api, "POST", form, {"Origin": farm.base("xxt.hn-mock.gov.cn.test")})
    j = json.loads(b)
    assert st == 200 and len(j["data"]["results"]) == 20 and j["data"]["total"] > 40
    st, _, b = fetch(farm, api, "POST", json.dumps({"page": 99, "_pageSize": 20}),
                     {"Referer": url(farm, "xxt.hn-mock.gov.cn.test", "/xxgk/zfxxgknb/index.html"),
                      "Content-Type": "application/json"})
    assert json.loads(b)["data"]["results"] == []
    shell = fetch(farm, url(farm, "xxt.hn-mock.gov.cn.test", "/xxgk/zfxxgknb/index.html"))[2].decode()
    assert "var channelId =  '80675';" in shell
    outside = re.sub(r"<noscript>.*?</noscript>", "", shell, flags=re.S)
    assert "/xxgk/zfxxgknb/2" not in outside and len(re.findall(r"<small>", shell)) == 5
    c1 = fetch(farm, url(farm, "www.hn-county.gov.cn.test", "/31185/32016/index.htm"))[2].decode()
    assert re.search(r"else if\(num>3\)", c1) and "ul class=\"xxdk-news-list\"" in c1
    assert fetch(farm, url(farm, "www.hn-county.gov.cn.test", "/31185/32016/index_2.htm"))[0] == 200
    assert fetch(farm, url(farm, "www.hn-county.gov.cn.test", "/31185/32016/index_4.htm"))[0] == 404


# ------------------------------------------------------------------ manifest vs. what is served
def test_manifest_content_coverage(manifest):
    reps = manifest["reports"]
    assert len(reps) >= 150
    families = {p["id"].split("-")[1] for p in manifest["portals"]}
    assert families == {"hw", "trs", "gd", "yl", "hn"}
    for pid in ("farm-hw-county", "farm-hw-prov", "farm-trs", "farm-gd", "farm-yl", "farm-hn"):
        assert len({r["report_year"] for r in reps if r["portal"] == pid}) >= 3, pid
    kinds = {r["kind"] for r in reps}
    assert {"report", "graphic", "attachment_only", "correction"} <= kinds
    mimes = {a["filename"].rsplit(".", 1)[1] for r in reps for a in r["attachments"]}
    assert {"pdf", "docx", "xlsx", "xls", "doc"} <= mimes
    assert any(r["format"] == "2019" and r["report_year"] == 2022 for r in reps)   # stubborn unit
    assert any(r["format"] == "2019" and r["report_year"] == 2020 for r in reps)
    assert any(r["expected_failures"] for r in reps)
    assert any(any(c["semantic"] in ("EMPTY", "NA") for c in r["cells"]) for r in reps)
    assert any(r["published"] > f"{r['report_year'] + 1}-03-31" for r in reps)      # late
    assert any(re.search(r"[報開資]", r["title"]) for r in reps)                      # 繁體 page
    for r in reps:
        if r["kind"] == "report" and r["format"] != "legacy":
            tables = {c["table"] for c in r["cells"]}
            assert tables or "prose" in r.get("title", "") or not tables, r["url"]
    table_bearing = [r for r in reps if r["cells"]]
    assert len(table_bearing) >= 100
    assert all({"table", "row", "col", "raw", "value", "semantic"} <= set(c) for r in table_bearing for c in r["cells"])
    assert {b["mode"] for b in manifest["blocked"]} >= {"ruishu_412", "jsl_521", "wangfang_403", "throttle"}


def _title_of(html: bytes) -> str:
    text = html.decode("utf-8", "replace")
    if "\ufffd" in text:
        text = html.decode("gb18030", "replace")
    m = re.search(r'<meta name="ArticleTitle" content="([^"]*)"', text)
    import html as h
    return h.unescape(m.group(1)) if m else ""


def test_every_report_url_answers_with_its_title(farm, manifest):
    for r in manifest["reports"] + manifest["noise"]:
        st, _, body = fetch(farm, r["url"])
        assert st == 200, r["url"]
        assert _title_of(body) == r["title"], r["url"]


def _list_links(farm, page_url: str, column_url: str) -> set[str]:
    """Fetch one list page the way its family requires and return the resolved item links."""
    method, body, headers, base = "GET", None, {}, page_url
    if "/module/jpage/dataproxy.jsp?startrecord" in page_url:
        method, body = "POST", A_FORM
    if "/search/common/search/" in page_url:
        method, body, headers = "POST", "", {"Origin": farm.base("xxt.hn-mock.gov.cn.test")}
        base = column_url
    if "getMessage.do" in page_url:
        headers = {"Referer": column_url}
    st, hd, data = fetch(farm, page_url, method, body, headers)
    assert st == 200, page_url
    text = data.decode("utf-8").lstrip("\n\ufeff")
    found: list[str] = []
    if text.startswith(("{", "cb(")):
        obj = json.loads(text[3:-1] if text.startswith("cb(") else text)

        def walk(o, key=None):
            if isinstance(o, dict):
                for k, v in o.items():
                    walk(v, k)
            elif isinstance(o, list):
                for v in o:
                    walk(v, key)
            elif isinstance(o, str):
                if key == "url":
                    found.append(o)
                found.extend(hrefs(o))
        walk(obj)
    else:
        found = hrefs(text)
    return {urljoin(base, h) for h in found if not h.startswith("javascript:")}


DETAILISH = re.compile(r"/art/\d{4}/|/t\d{8}_\d+\.html|/m?post_\d+\.html|/content_\d+\.html|"
                       r"/cms/html/xxrmzf/\d{4}-|publicInfo\.shtml")


def test_list_pages_cover_exactly_reports_and_noise(farm, manifest):
    known = {r["url"] for r in manifest["reports"] + manifest["noise"]}
    for p in manifest["portals"]:
        pid = p["id"]
        pages = manifest["list_pages"][pid]
        assert pages and pages[0].split("#")[0] == p["column_url"].split("#")[0]
        links = set()
        for u in pages:
            links |= _list_links(farm, u, p["column_url"])
        want = {r["url"] for r in manifest["reports"] + manifest["noise"] if r["portal"] == pid}
        missing = want - links
        assert not missing, (pid, sorted(missing)[:3])
        items = {u for u in links if DETAILISH.search(u)}
        extra = items - want
        # gkmlpt's two external jumps point at reports of the static twin column
        assert extra <= known and len(extra) <= 2, (pid, sorted(extra)[:3])
    # the JS-only lists really are empty without JS
    for pid in ("farm-hw-prov-jpaas", "farm-gd", "farm-hn"):
        first = manifest["list_pages"][pid][0]
        text = fetch(farm, first)[2].decode()
        text = re.sub(r"<noscript>.*?</noscript>", "", text, flags=re.S)
        assert not DETAILISH.search(text), pid


# ------------------------------------------------------------------ fixtures and switches
def test_blocked_urls_are_blocked(farm, manifest):
    for b in manifest["blocked"]:
        if b["mode"] == "throttle":
            continue
        st, hd, body = fetch(farm, b["url"])
        t = body.decode("utf-8", "replace")
        if b["mode"] == "ruishu_412":
            assert st == 412 and "$_ts" in t and "X5mockS=" in hd.get("set-cookie", "")
        elif b["mode"] == "jsl_521":
            assert st == 521 and "__jsl_clearance_s=" in t
            cookie = re.search(r"document\.cookie='(__jsl_clearance_s=[^;]+);", t).group(1)
            assert fetch(farm, b["url"], headers={"Cookie": cookie})[0] == 200   # solvable variant
        elif b["mode"] == "wangfang_403":
            assert st == 403 and "网防G01" in t and "eventID" in t


def test_throttle_and_crawl_delay(farm, manifest):
    thr = next(b for b in manifest["blocked"] if b["mode"] == "throttle")
    farm.set_politeness(True)
    try:
        assert b"Crawl-delay: 2" in fetch(farm, urljoin(thr["url"], "/robots.txt"))[2]
        statuses = [fetch(farm, thr["url"])[0] for _ in range(12)]
        assert 403 in statuses and statuses[0] == 200
        assert "访问过于频繁" in fetch(farm, thr["url"])[2].decode()
    finally:
        farm.set_politeness(False)
    assert fetch(farm, thr["url"])[0] == 200
    assert b"Crawl-delay" not in fetch(farm, urljoin(thr["url"], "/robots.txt"))[2]


def test_robots_variants(farm):
    assert fetch(farm, url(farm, HW, "/robots.txt"))[0] == 404
    st, hd, b = fetch(farm, url(farm, PROV, "/robots.txt"))
    assert st == 200 and hd["content-type"].startswith("text/html")
    assert b"Disallow: /protect/" in fetch(farm, url(farm, TRS, "/robots.txt"))[2]


def test_encoding_traps(farm, manifest):
    gbk = lying = 0
    for r in (r for r in manifest["reports"] if r["portal"] == "farm-trs"):
        st, hd, body = fetch(farm, r["url"])
        if hd["content-type"] == "text/html":
            assert b"charset=gb2312" in body
            try:
                body.decode("utf-8")
                lying += 1
            except UnicodeDecodeError:
                gbk += 1
                assert r["title"] in body.decode("gb18030")
    assert gbk == 1 and lying == 1


def test_conditional_requests(farm, manifest):
    rep = next(r for r in manifest["reports"] if r["portal"] == "farm-hw-county" and r["attachments"])
    st, hd, body = fetch(farm, rep["url"])
    assert hd.get("etag") and hd.get("last-modified")
    st, hd2, b2 = fetch(farm, rep["url"], headers={"If-None-Match": hd["etag"]})
    assert st == 304 and b2 == b""
    assert fetch(farm, rep["url"], headers={"If-Modified-Since": hd["last-modified"]})[0] == 304
    assert fetch(farm, rep["url"], headers={"If-None-Match": '"other"'})[0] == 200
    assert fetch(farm, rep["url"], headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    st, hd, _ = fetch(farm, rep["attachments"][0]["url"])
    target = urljoin(rep["url"], hd["location"])
    st, hd, _ = fetch(farm, target)
    assert st == 200 and fetch(farm, target, headers={"If-None-Match": hd["etag"]})[0] == 304


def test_edition_switch(farm, manifest):
    assert manifest["changes"] == {"edited": [], "added": [], "deleted": [], "corrected": []}
    farm.set_edition(1)
    try:
        m1 = farm.manifest()
        ch = m1["changes"]
        assert len(ch["edited"]) == len(ch["added"]) == len(ch["deleted"]) == len(ch["corrected"]) == 1
        (fix,) = [r for r in m1["reports"] if r["url"] == ch["corrected"][0]]
        assert fix["kind"] == "correction" and fetch(farm, fix["url"])[0] == 200
        # the original it corrects is still listed, and its table 三 is the one that did not balance
        orig = [r for r in m1["reports"] if r["agency"] == fix["agency"] and r["report_year"] == fix["report_year"]
                and r["kind"] == "report"]
        assert len(orig) == 1 and "T3-BAL" in orig[0].get("breaks", orig[0].get("expected_failures", []))
        assert fetch(farm, ch["deleted"][0])[0] == 404
        assert ch["deleted"][0] not in {r["url"] for r in m1["reports"]}
        assert fetch(farm, ch["added"][0])[0] == 200
        page0 = fetch(farm, m1["list_pages"]["farm-trs"][0])[2].decode()
        assert urlsplit(ch["added"][0]).path.rsplit("/", 1)[1] in page0
        old = next(r for r in manifest["reports"] if r["url"] == ch["edited"][0])
        new = next(r for r in m1["reports"] if r["url"] == ch["edited"][0])
        assert old["cells"] != new["cells"] and old["title"] == new["title"]
    finally:
        farm.set_edition(0)
    assert fetch(farm, ch["added"][0])[0] == 404 and fetch(farm, ch["deleted"][0])[0] == 200


def test_flaky_and_unknown_host(farm):
    farm.set_flaky(1.0, modes=("500",), seed=3)
    try:
        assert fetch(farm, url(farm, TRS, TCOL))[0] == 500
    finally:
        farm.set_flaky(0)
    assert fetch(farm, url(farm, TRS, TCOL))[0] == 200
    assert fetch(farm, url(farm, "www.nowhere.gov.cn.test", "/"))[0] == 404
    assert any(e["host"] == TRS for e in farm.request_log)


def test_sources_registry(farm):
    src = farm.sources()
    ids = {s["id"] for s in src}
    assert {"farm-hw-county", "farm-hw-prov", "farm-trs", "farm-gd", "farm-yl", "farm-hn"} <= ids
    assert {s["platform"] for s in src} == {"hanweb", "trs", "gkmlpt", "ylcms", "hunan"}
    render = {s["id"]: s["render"] for s in src}
    assert render["farm-gd"] == render["farm-hn"] == render["farm-hw-prov-jpaas"] == "auto"
    assert render["farm-trs"] == "static"
    assert all(urlsplit(s["url"]).hostname.endswith(".gov.cn.test") for s in src)


@pytest.mark.browser
def test_js_lists_render_in_chromium(farm, manifest):
    """The JS-only lists (jpaas, gkmlpt, Hunan xxt) and the Hanweb jpage render every item in Chromium."""
    from browser_links import rendered_links
    got = rendered_links({pid: next(s for s in farm.sources() if s["id"] == pid)["url"]
                          for pid in ("farm-hw-prov-jpaas", "farm-gd", "farm-hn", "farm-hw-county")})
    for pid, links in got.items():
        want = {r["url"] for r in manifest["reports"] + manifest["noise"] if r["portal"] == pid}
        assert want <= links, (pid, len(want - links))
