"""A city portal on Epoint 新点 WebBuilder (EWB) — a JS shell over a JSON list API; no adapter
targets it. Host www.ep-city.gov.cn.test, opt-in (farm/portals/sitekit.py).

Facts the portal reproduces:
* `/js/webBuilderCommon.js` declares `var siteInfo = {projectName: "/EWB-FRONT", siteGuid: "<uuid>"}`;
  every column page of the 政府信息公开 area (`/xxgk/govinfo.html`) is the same shell
  `/xxgk/<categorynum>/govinfo_list.html` (`002001` 指南, `002002` 制度, `002003` 法定主动公开内容,
  `002004` 政府信息公开工作年度报告 — the 年报 column — and `002005` 依申请公开): an empty
  `div#govinfo-list[data-categorynum]`, an empty `div#govinfo-pager` and `/js/govinfolist.js`.
* The list exists only in `POST /EWB-FRONT/rest/lightfrontaction/getgovinfolist`, whose body wraps
  the real parameters in a JSON *string*: `{"params": "{\\"siteGuid\\":…,\\"categorynum\\":\\"002004\\",
  \\"deptcode\\":\\"\\",\\"pageIndex\\":0,\\"pageSize\\":10}"}` (a form field `params=<json>` works too;
  GET answers 405). `pageIndex` is 0-based. The answer is the Epoint envelope
  `{"custom": {"total": 44, "data": [{"infoid", "title", "realtitle", "infodate", "infourl"}]},
  "status": {"code": 200, "text": ""}}`: `title` is cut to 24 characters with "…", `realtitle`
  is the whole title, `infourl` is site-relative. A page past the end has `data: []`, same total.
* The script renders one page at a time (the list is replaced, not appended) and a pager of
  `<a href="javascript:;" data-page-index="N">` controls numbered 1-based (page N asks
  `pageIndex` N-1), 首页/上一页/下一页/尾页 the same way (class `disabled` at the ends), and
  `共44条 第1/5页`.
* Details `/xxgk/002004/<yyyymmdd>/<infoid>.html`: `h3.ewb-article-tt`, `div.ewb-article-sources`
  (发布时间/信息来源), a 索引号 table, body `div#mainContent`; attachments
  `/EWB-FRONT/frontframe/attach/download.jspx?attachGuid=<uuid>&fileName=<name>`.
* robots.txt disallows `/EWB-FRONT/frontframe/admin/` only.

`list_pages` gives the shell, then one URL per API page: the API's path with the unwrapped
`categorynum` and `pageIndex` as query, which `request_params` matches against a POST body, so
`Farm.set_broken_page("farm-ep", 3)` breaks the API call for `pageIndex` 1 (mode "empty": the
envelope keeps its `total` and brings no `data`).
"""
from __future__ import annotations

import json
import math
from urllib.parse import parse_qsl, quote

from farm.portals.base import FOOTER, Entry, Req, Resp, esc, fmt_date, fmt_dt, html_resp, json_resp, metas, page
from farm.portals.catalog import Plan
from farm.portals.hanweb import static_js
from farm.portals.sitekit import SIDE_BODY, SIDE_TITLES, SitePortal, uuid_of

HOST = "www.ep-city.gov.cn.test"
PROJECT = "/EWB-FRONT"
API = PROJECT + "/rest/lightfrontaction/getgovinfolist"
SITE_GUID = "7eb5f7f1-9041-43ad-8e13-8fcb82ea831a"
NB_CAT = "002004"
CATS = {"002001": "guide", "002002": "rules", "002003": "fdzd", NB_CAT: "nb", "002005": "ysq"}
NB_NAME = "政府信息公开工作年度报告"
PER = 10

PLAN = Plan(
    portal="farm-ep", place="芷川市", years=(2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d3", "d4", "d6", "d8", "d10", "d12", "d14"),
    specials=(
        {"unit": "d3", "year": 2023, "attachment": "pdf"},
        {"unit": "d6", "year": 2022, "layout": "attachment_only", "attachment": "docx"},
        {"unit": "d10", "year": 2021, "layout": "text_lines"},
    ),
    noise=8, seed=131, id_base=6100000)


def col_path(cat: str) -> str:
    return f"/xxgk/{cat}/govinfo_list.html"


class EpointPortal(SitePortal):
    id = "farm-ep"
    name = f"芷川市人民政府 {NB_NAME}"
    family = "epoint"
    hosts = (HOST,)
    region = "芷川市"
    level = "city"
    site = "芷川市人民政府"
    idcode = "4331000001"
    domain = "www.ep-city.gov.cn"

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    # -- catalogue
    def detail_path(self, e: Entry) -> str:
        return f"/xxgk/{NB_CAT}/{e.published:%Y%m%d}/{uuid_of('ep', e.num)}.html"

    def att_href(self, e, kind, filename, index):
        guid = uuid_of("ep-att", e.num, kind, index)
        if kind == "IMAGE":
            return f"{PROJECT}/frontframe/attach/image.jspx?attachGuid={guid}"
        return f"{PROJECT}/frontframe/attach/download.jspx?attachGuid={guid}&fileName={quote(filename)}"

    def side_path(self, key, i, d):
        cat = next(c for c, k in CATS.items() if k == key)
        return f"/xxgk/{cat}/{d:%Y%m%d}/{uuid_of('ep-side', key, i)}.html"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": col_path(NB_CAT), "render": "auto"}]

    def n_pages(self) -> int:
        return max(1, math.ceil(len(self.live()) / PER))

    def list_pages(self, edition):
        return {self.id: [(HOST, col_path(NB_CAT))]
                + [(HOST, f"{API}?categorynum={NB_CAT}&pageIndex={k}") for k in range(self.n_pages())]}

    def request_params(self, req: Req) -> dict[str, str]:
        out = dict(req.params())
        inner = out.pop("params", None)
        if inner:
            try:
                data = json.loads(inner)
            except ValueError:
                data = {}
            if isinstance(data, dict):
                out.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()})
        return out

    def empty_page(self, req: Req) -> Resp | None:
        """The broken-page switch's "empty" mode on the API: the envelope still says the total."""
        if req.path != API:
            return None
        return json_resp({"custom": {"total": len(self.live()), "data": []}, "status": {"code": 200, "text": ""}})

    # -- pages
    def frame(self, title: str, head: str, main: str) -> str:
        nav = ('<div class="ewb-header"><div class="ewb-logo"><a href="/">芷川市人民政府</a></div>'
               '<ul class="ewb-nav"><li><a href="/">首页</a></li><li><a href="/zwdt/zwdt.html">政务动态</a></li>'
               '<li><a href="/xxgk/govinfo.html">政府信息公开</a></li><li><a href="/hdjl/hdjl.html">互动交流</a></li>'
               '<li><a href="/zwfw/zwfw.html">政务服务</a></li></ul></div>')
        return page(title, head, nav + main + FOOTER.format(site=self.site, idcode=self.idcode))

    def head(self, column: str | None = None, e: Entry | None = None, url: str = "") -> str:
        if e is None:
            return metas(self.site, self.domain, self.idcode, column=column)
        return metas(self.site, self.domain, self.idcode, column=NB_NAME, coltype=NB_NAME, title=self.title(e),
                     pubdate=fmt_dt(e.published), source=e.agency, url=url)

    def menu(self, here: str = "") -> str:
        lis = "".join(f'<li class="{"active" if c == here else ""}"><a href="{col_path(c)}">'
                      f'{SIDE_TITLES[k][0] if k != "nb" else NB_NAME}</a></li>' for c, k in CATS.items())
        return f'<div class="ewb-govinfo-menu"><h4>政府信息公开</h4><ul>{lis}</ul></div>'

    def home(self) -> str:
        news = "".join(f'<li><a href="{p}">{esc(t)}</a><span>{fmt_date(d)}</span></li>'
                       for t, p, d in self.side_items("fdzd")[:2])
        main = ('<div class="ewb-banner"></div><div class="ewb-block"><h4>政务动态</h4>'
                f'<ul class="ewb-news">{news}</ul></div>'
                '<div class="ewb-block"><h4>政务公开</h4><ul class="ewb-quick">'
                '<li><a href="/xxgk/govinfo.html">政府信息公开</a></li>'
                f'<li><a href="{col_path("002001")}">公开指南</a></li>'
                f'<li><a href="{col_path("002003")}">法定主动公开内容</a></li></ul></div>'
                '<script src="/js/webBuilderCommon.js"></script>')
        return self.frame(self.site, self.head(), main)

    def landing(self) -> str:
        main = (self.menu() + '<div class="ewb-govinfo-main"><h3>政府信息公开</h3>'
                '<p>本栏目公开芷川市人民政府及其工作部门的政府信息。</p></div>')
        return self.frame("政府信息公开", self.head(column="政府信息公开"), main)

    def shell(self, cat: str) -> str:
        name = NB_NAME if cat == NB_CAT else SIDE_TITLES[CATS[cat]][0]
        main = (self.menu(cat) + f'<div class="ewb-govinfo-main"><div class="ewb-location">当前位置：<a href="/">首页</a>'
                f' &gt; <a href="/xxgk/govinfo.html">政府信息公开</a> &gt; {name}</div>'
                f'<h3 class="ewb-column-name">{name}</h3>'
                f'<div id="govinfo-list" class="ewb-info-list" data-categorynum="{cat}"></div>'
                '<div id="govinfo-pager" class="m-pagination"></div></div>'
                '<script src="/js/webBuilderCommon.js"></script><script src="/js/govinfolist.js"></script>')
        return self.frame(name, self.head(column=name), main)

    def rows(self, cat: str) -> list[tuple[str, str, str]]:
        """(realtitle, infourl, infodate) of a category, newest first."""
        if cat == NB_CAT:
            return [(self.title(e), self.detail_path(e), fmt_date(e.published)) for e in self.live()]
        return [(t, p, fmt_date(d)) for t, p, d in self.side_items(CATS[cat])]

    def api(self, req: Req) -> Resp:
        if req.method != "POST":
            return json_resp({"status": {"code": 405, "text": "Request method 'GET' not supported"}}, 405)
        q = self.request_params(req)
        try:
            index, size = int(q.get("pageIndex", "0")), int(q.get("pageSize", str(PER)))
        except ValueError:
            return json_resp({"status": {"code": 500, "text": "参数错误"}, "custom": None})
        if q.get("siteGuid") != SITE_GUID or q.get("categorynum") not in CATS:
            return json_resp({"custom": {"total": 0, "data": []}, "status": {"code": 200, "text": ""}})
        size = max(1, min(size, 50))
        rows = self.rows(q["categorynum"])
        chunk = rows[index * size:(index + 1) * size] if index >= 0 else []
        data = [{"infoid": p.rsplit("/", 1)[-1][:-5], "title": t if len(t) <= 24 else t[:24] + "…", "realtitle": t,
                 "infodate": d, "infourl": p} for t, p, d in chunk]
        return json_resp({"custom": {"total": len(rows), "data": data}, "status": {"code": 200, "text": ""}})

    def detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        main = (f'<div class="ewb-location">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/govinfo.html">政府信息公开</a>'
                f' &gt; <a href="{col_path(NB_CAT)}">{NB_NAME}</a></div><div class="ewb-article">'
                f'<table class="ewb-govinfo-table"><tr><td>索引号</td><td>{self.idcode[:6]}-{e.published.year}-{e.num % 100000:05d}'
                f'</td><td>发布机构</td><td>{esc(e.agency)}</td></tr><tr><td>发文日期</td><td>{fmt_date(e.published)}</td>'
                f'<td>主题分类</td><td>{NB_NAME}</td></tr></table>'
                f'<h3 class="ewb-article-tt">{esc(title)}</h3>'
                f'<div class="ewb-article-sources"><span>发布时间：{fmt_date(e.published)}</span>'
                f'<span>信息来源：{esc(e.agency)}</span><span>浏览次数：<span id="infoViewCount"></span></span></div>'
                f'<div class="ewb-article-info" id="mainContent">{self.body(e)}</div>'
                '<div class="ewb-article-btns"><a href="javascript:window.print();">打印本页</a>'
                ' <a href="javascript:window.close();">关闭窗口</a></div></div>')
        return html_resp(self.frame(title, self.head(e=e, url=req.url_base + req.path), main),
                         last_modified=e.modified(self.edition))

    def side(self, req: Req, hit) -> Resp:
        key, title, d = hit
        main = (f'<div class="ewb-article"><h3 class="ewb-article-tt">{esc(title)}</h3>'
                f'<div class="ewb-article-sources"><span>发布时间：{fmt_date(d)}</span></div>'
                f'<div class="ewb-article-info" id="mainContent">{SIDE_BODY}</div></div>')
        return html_resp(self.frame(title, self.head(column=SIDE_TITLES[key][0]), main))

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return Resp(body="User-agent: *\nDisallow: /EWB-FRONT/frontframe/admin/\n", ctype="text/plain")
        if p in ("/", "/index.html"):
            return html_resp(self.home())
        if p == "/js/webBuilderCommon.js":
            return Resp(body=f'var siteInfo = {{projectName: "{PROJECT}", siteGuid: "{SITE_GUID}"}};\n',
                        ctype="application/javascript; charset=utf-8")
        if p == "/js/govinfolist.js":
            return static_js("epoint_govinfo.js")
        if p == "/xxgk/govinfo.html":
            return html_resp(self.landing())
        if p == API:
            return self.api(req)
        parts = p.split("/")
        if len(parts) == 4 and parts[1] == "xxgk" and parts[2] in CATS and parts[3] == "govinfo_list.html":
            return html_resp(self.shell(parts[2]))
        e = self.entry_at(p)
        if e is not None:
            return self.detail(req, e)
        hit = self.side_article(p)
        if hit is not None:
            return self.side(req, hit)
        if p.startswith(PROJECT + "/frontframe/attach/"):
            guid = dict(parse_qsl(req.raw_query)).get("attachGuid", "")
            key = next((k for k in self.attachment_index() if guid and f"attachGuid={guid}" in k), None)
            return self.serve_file(key) if key else None
        return None
