"""Mock F — Hunan (docs/adapters.md): a TRS department site whose list comes only from a POST
JSON search API on a separate `api.` host (Origin/Referer checked), and a numeric-path county portal
(`/31185/32016/index.htm`, `index_2.htm`, page count only in inline JS) with robots Crawl-delay: 2
and burst throttling.
"""
from __future__ import annotations

import math
import re

from farm import fixtures
from farm.portals.base import FOOTER, Entry, Req, Resp, digits, esc, fmt_date, fmt_dt, html_resp, json_resp, metas, page
from farm.portals.catalog import Plan
from farm.portals.common import Portal
from farm.portals.hanweb import static_js

XXT, API, COUNTY = "xxt.hn-mock.gov.cn.test", "api.hn-mock.gov.cn.test", "www.hn-county.gov.cn.test"
CHANNEL = "80675"
XCOL = "/xxgk/zfxxgknb/"
NCOL = "/31185/32016/"
API_SIZE, N_PER = 20, 15
DEPTS = tuple(f"d{i}" for i in range(10))

PLAN = Plan(
    portal="farm-hn", place="湘水县", years=(2020, 2021, 2022, 2023),
    units=("gov", "office", "t0", "t1", "t2", "t3", "t4", "t5") + DEPTS,
    specials=(
        {"unit": "gov", "year": 2023, "layout": "word", "attachment": "pdf"},
        {"unit": "d4", "year": 2022, "layout": "attachment_only", "attachment": "pdf"},
        {"unit": "d7", "year": 2021, "layout": "text_pipes"},
        {"unit": "t2", "year": 2022, "layout": "traditional"},
        {"unit": "d8", "year": 2023, "layout": "word", "breaks": ("T3-BAL",), "blanks": True},
        {"unit": "t5", "year": 2023, "late": True},
        {"unit": "d9", "year": 2022, "late": True},
    ),
    noise=9, seed=51, id_base=2150000)


class HunanPortal(Portal):
    id = "farm-hn"
    name = "湘水县 部门政府信息公开年报（信息公开平台）"
    platform = "hunan"
    hosts = (XXT, API, COUNTY)
    region = "湘水县"
    site = "湘水县人民政府"
    idcode = "4306240001"

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    def column_of(self, e):
        if e.kind == "report":
            return "farm-hn" if e.key.split("-")[0] in DEPTS else "farm-hn-county"
        return "farm-hn" if int(e.key.split("-")[1]) % 2 == 0 else "farm-hn-county"

    def host_of(self, e):
        return XXT if self.column_of(e) == "farm-hn" else COUNTY

    def detail_path(self, e):
        if self.column_of(e) == "farm-hn":
            return f"{XCOL}{e.published:%Y%m}/t{e.published:%Y%m%d}_{e.num}.html"
        return f"{NCOL}content_{e.num}.html"

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        return f"/web/uploadfiles/{e.published:%Y%m}/{e.published:%Y%m%d%H%M}{digits(5, e.num, index)}.{ext}"

    def columns(self):
        return [{"id": "farm-hn", "name": self.name, "url": XCOL + "index.html", "render": "auto", "host": XXT},
                {"id": "farm-hn-county", "name": "湘水县人民政府 政府信息公开年报", "url": NCOL + "index.htm",
                 "render": "static", "host": COUNTY}]

    def manifest_part(self):
        for e in self.entries:           # entries live on two hosts
            e.x["host"] = self.host_of(e)
        return super().manifest_part()

    def changes(self):
        for e in self.entries:
            e.x["host"] = self.host_of(e)
        return super().changes()

    def n_pages(self):
        return max(1, math.ceil(len(self.live("farm-hn-county")) / N_PER))

    def list_pages(self, edition):
        na = max(1, math.ceil(len(self.live("farm-hn")) / API_SIZE))
        return {"farm-hn": [(XXT, XCOL + "index.html")] + [
                    (API, f"/search/common/search/{CHANNEL}?page={k}&_pageSize={API_SIZE}") for k in range(1, na + 1)],
                "farm-hn-county": [(COUNTY, NCOL + "index.htm")] + [
                    (COUNTY, f"{NCOL}index_{k}.htm") for k in range(2, self.n_pages() + 1)]}

    def blocked(self):
        # met only by a client that exceeds the rate (R requests/s per host): a crawl that honours
        # robots.txt's Crawl-delay never meets it
        return [{"url": self.base(COUNTY) + "/", "mode": "throttle", "portal": "farm-hn-county", "when": "over_rate"}]

    # -- xxt (JS list)
    def xxt_shell(self) -> str:
        items = self.live("farm-hn")[:5]
        nos = "".join(f'<li><a href="{self.detail_path(e)}" title="{esc(self.title(e))}">{esc(self.title(e))}'
                      f'<small>{fmt_date(e.published)}</small></a></li>' for e in items)
        main = (f"<script>var channelId =  '{CHANNEL}';</script>"
                '<div class="hy-list-text"><ul></ul></div>'
                f'<noscript><div class="hy-list-text"><ul>{nos}</ul></div></noscript>'
                '<script src="/xxgk/js/list.js"></script>')
        return page("政府信息公开年报", metas(self.site, "xxt.hn-mock.gov.cn", self.idcode, column="政府信息公开年报",
                                          coltype="政府信息公开年报"), main + FOOTER.format(site=self.site, idcode=self.idcode))

    def api(self, req: Req) -> Resp:
        cors = [("Access-Control-Allow-Origin", req.headers.get("origin", "*")),
                ("Access-Control-Allow-Headers", "Content-Type"), ("Access-Control-Allow-Methods", "POST, OPTIONS")]
        if req.method == "OPTIONS":
            return Resp(status=204, headers=cors)
        want = re.compile(r"^https?://" + re.escape(XXT) + r"(:\d+)?(/|$)")
        if not (want.match(req.headers.get("origin", "")) or want.match(req.headers.get("referer", ""))):
            return json_resp({"code": 403, "msg": "forbidden"}, 403, headers=cors)
        if req.method != "POST":
            return json_resp({"code": 405, "msg": "method not allowed"}, 405, headers=cors)
        prm = req.params()
        k, size = max(1, int(prm.get("page") or 1)), int(prm.get("_pageSize") or API_SIZE)
        items = self.live("farm-hn")
        res = [{"title": self.title(e), "url": self.base(XXT) + self.detail_path(e) if e.num % 3 else self.detail_path(e),
                "publishedTimeStr": e.published.strftime("%Y-%m-%d %H:%M:%S"), "content": ""}
               for e in items[(k - 1) * size:k * size]]
        return json_resp({"code": 200, "data": {"total": len(items), "results": res}}, headers=cors)

    def xxt_detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        top = (f'<div class="xxgk_top_frame"><ul><li>索 引 号：43062400{e.num % 1000:03d}/{e.published.year}-{e.num % 10000:05d}</li>'
               f'<li>发布机构：{esc(e.agency)}</li><li>发文日期：{fmt_date(e.published)}</li><li>文　　号：</li>'
               '<li>主题分类：综合政务</li></ul></div>')
        main = f'{top}<h1>{esc(title)}</h1><div id="zoom">{self.body(e)}</div>'
        head = metas(self.site, "xxt.hn-mock.gov.cn", self.idcode, column="政府信息公开年报", coltype="政府信息公开年报",
                     title=title, pubdate=fmt_dt(e.published), source=e.agency, url=req.url_base + req.path)
        return html_resp(page(title, head, main), last_modified=e.modified(self.edition))

    # -- numeric county site
    def n_list(self, k: int) -> str:
        items = self.live("farm-hn-county")[(k - 1) * N_PER:k * N_PER]
        lis = "".join(f'<li><a href="{self.detail_path(e)}" title="{esc(self.title(e))}" target="_blank">'
                      f'{esc(self.title(e))}</a><span>{fmt_date(e.published)}</span></li>' for e in items)
        n = self.n_pages()
        script = ("<script>function pageGo(num){ var url; if(num==1){url='index.htm';}"
                  f" else if(num>{n}){{return;}} else {{url='index_'+num+'.htm';}} location.href=url; }}</script>")
        pager = f'<div class="page">第{k}页 共{n}页 <a href="javascript:pageGo({k + 1})">下一页</a></div>'
        main = (f'<div class="crumb">当前位置: 首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
                f'<ul class="xxdk-news-list">{lis}</ul>{script}{pager}')
        return page("政府信息公开年报", metas(self.site, "www.hn-county.gov.cn", self.idcode, column="政府信息公开年报",
                                          coltype="政府信息公开年报"), main)

    def n_detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        main = ('<div class="crumb">当前位置: 首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
                f'<h1 class="title">{esc(title)}</h1><div class="info">来源: {esc(e.agency)} 发布时间: {fmt_dt(e.published)}'
                f' 浏览次数: 1</div><div class="content-wrapper">{self.body(e)}</div>')
        head = metas(self.site, "www.hn-county.gov.cn", self.idcode, column="政府信息公开年报", coltype="政府信息公开年报",
                     title=title, pubdate=fmt_dt(e.published), source=e.agency, url=req.url_base + req.path)
        return html_resp(page(title, head, main), last_modified=e.modified(self.edition))

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if req.host == API:
            if re.fullmatch(r"/search/common/search/" + CHANNEL, p):
                return self.api(req)
            return json_resp({"code": 404}, 404)
        if p == "/robots.txt":
            return fixtures.robots("crawl_delay" if req.host == COUNTY and self.farm.politeness else "permissive")
        if req.host == XXT:
            if p in (XCOL, XCOL + "index.html"):
                return html_resp(self.xxt_shell())
            if p == "/xxgk/js/list.js":
                return static_js("hunan_list.js")
            if p == "/":
                return html_resp(page(self.site, "", f'<a href="{XCOL}index.html">政府信息公开年报</a>'))
            e = self.entry_at(p)
            if e is not None and self.column_of(e) == "farm-hn":
                return self.xxt_detail(req, e)
            return self.serve_file(p) if p.startswith("/web/uploadfiles/") else None
        # county host: the farm throttles it (farm/server.py) while polite mode is on
        if p in ("/", "/index.htm"):
            return html_resp(page(self.site, "", f'<a href="{NCOL}index.htm">政府信息公开年报</a>'))
        if p in (NCOL, NCOL + "index.htm"):
            return html_resp(self.n_list(1))
        m = re.fullmatch(re.escape(NCOL) + r"index_(\d+)\.htm", p)
        if m:
            k = int(m.group(1))
            return html_resp(self.n_list(k)) if 2 <= k <= self.n_pages() else None
        e = self.entry_at(p)
        if e is not None and self.column_of(e) == "farm-hn-county":
            return self.n_detail(req, e)
        if p.startswith("/web/uploadfiles/"):
            return self.serve_file(p)
        return None
