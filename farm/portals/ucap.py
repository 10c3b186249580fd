"""A county portal on Kaipu 开普 UCAP (a provincial 集约化 platform build) — static `.shtml`
channels, year sub-columns, detail pages with attachments, 上一条/下一条 and a 相关链接 box; no
adapter targets it. Host www.kp-county.gov.cn.test, opt-in (farm/portals/sitekit.py).

Facts the portal reproduces:
* Channels are directories with `index.shtml`; the template's `<ucapcontent>` tags survive in
  the published HTML around the generated parts (channel lists, article body).
* Navigation: home `/` → 政务公开 `/zwgk/index.shtml` → 政府信息公开 `/zwgk/zfxxgk/index.shtml`,
  whose channel menu holds 政府信息公开指南 (`xxgkzn/`), 政府信息公开制度 (`xxgkzd/`), 法定主动公开内容
  (`fdzdgknr/`), 政府信息公开年报 (`xxgknb/`, the 年报 column) and 依申请公开 (`ysqgk/`).
* The 年报 column `/zwgk/zfxxgk/xxgknb/index.shtml` lists no article: only its year sub-columns
  `<a href="2023n/index.shtml" title="2023年政府信息公开年报">2023年</a>`, newest first. A year
  channel lists the reports *about* that year (published the year after) and a few notices, 10
  per page: `index.shtml`, `index_2.shtml`, … (1-based suffix) under `div.page` with
  `共17条`, 首页/上一页/numbers/下一页/尾页.
* Details `/zwgk/zfxxgk/xxgknb/2023n/<yyyymm>/content_<id>.shtml`: title `h1#ti`, `div.pages-date`
  (date + `span.font` 来源), body `div#UCAP-CONTENT`; then an attachment box `div.fj` (附件：links
  to `/ucap/uploadfiles/<yyyymm>/<hex>.<ext>`, the same files the body links), `div.prevnext` with
  上一条：/下一条： links to the neighbouring reports of the year channel, and `div.xglj` 相关链接
  with the same agency's other years, then other reports of the year — report-titled links on a page
  that is one report.
* One attachment-only report (a department's 2022 report) links a PDF that answers 404: the
  report is in the manifest without attachments, its file in `broken()`.
* robots.txt: permissive (`Disallow: /protect/`).

`list_pages`: the 年报 column, then each year channel's pages, newest year first, so
`Farm.set_broken_page("farm-kp", 3)` breaks page 2 of the newest year.
"""
from __future__ import annotations

import math

from farm import fixtures
from farm.portals.base import FOOTER, Entry, Req, Resp, esc, fmt_date, fmt_dt, hexname, html_resp, metas, page
from farm.portals.catalog import Plan
from farm.portals.sitekit import SIDE_BODY, SIDE_TITLES, SitePortal

HOST = "www.kp-county.gov.cn.test"
XXGK = "/zwgk/zfxxgk/"
COL = XXGK + "xxgknb/"
SIDES = {"guide": "xxgkzn", "rules": "xxgkzd", "fdzd": "fdzdgknr", "ysq": "ysqgk"}
PER = 10

PLAN = Plan(
    portal="farm-kp", place="青岚县", years=(2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d4", "d5", "d7", "d9", "d11", "t0", "t1", "t2", "t4"),
    specials=(
        {"unit": "gov", "year": 2023, "attachment": "pdf"},
        {"unit": "d1", "year": 2023, "attachment": "docx"},
        {"unit": "d4", "year": 2022, "attachment": "pdf"},
        {"unit": "t1", "year": 2021, "attachment": "xlsx"},
        {"unit": "d9", "year": 2023, "layout": "attachment_only", "attachment": "pdf"},
        {"unit": "d7", "year": 2022, "layout": "attachment_only", "attachment": "pdf", "x": {"dead_file": True}},
    ),
    noise=6, seed=151, id_base=7300000)


class UcapPortal(SitePortal):
    id = "farm-kp"
    name = "青岚县人民政府 政府信息公开年报"
    family = "ucap"
    hosts = (HOST,)
    region = "青岚县"
    site = "青岚县人民政府"
    idcode = "5201270001"
    domain = "www.kp-county.gov.cn"

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    # -- catalogue
    @staticmethod
    def year_of(e: Entry) -> int:
        return e.report_year if e.kind == "report" else e.published.year - 1

    def years(self) -> list[int]:
        return sorted({self.year_of(e) for e in self.entries}, reverse=True)

    def year_items(self, y: int) -> list[Entry]:
        return [e for e in self.live() if self.year_of(e) == y]

    def detail_path(self, e: Entry) -> str:
        return f"{COL}{self.year_of(e)}n/{e.published:%Y%m}/content_{e.num}.shtml"

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        return f"/ucap/uploadfiles/{e.published:%Y%m}/{hexname('kp', e.num, kind, index)[:20]}.{ext}"

    def side_path(self, key, i, d):
        return f"{XXGK}{SIDES[key]}/{d:%Y%m}/content_{8100000 + 17 * i + len(key)}.shtml"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": COL + "index.shtml", "render": "auto"}]

    def n_pages(self, y: int) -> int:
        return max(1, math.ceil(len(self.year_items(y)) / PER))

    @staticmethod
    def page_name(k: int) -> str:
        return "index.shtml" if k == 1 else f"index_{k}.shtml"

    def list_pages(self, edition):
        out = [(HOST, COL + "index.shtml")]
        for y in self.years():
            out += [(HOST, f"{COL}{y}n/{self.page_name(k)}") for k in range(1, self.n_pages(y) + 1)]
        return {self.id: out}

    def dead(self, e: Entry) -> bool:
        return bool(e.x.get("dead_file"))

    def excluded_attachments(self, e):
        return {a.filename for a in e.gen(self.edition).attachments} if self.dead(e) else set()

    def broken(self):
        return [{"url": self.base() + p, "reason": "missing", "portal": self.id}
                for e in self.live() if self.dead(e) for k, n, p in self.attachment_paths(e)]

    # -- pages
    def frame(self, title: str, head: str, main: str, crumbs: str = "") -> str:
        top = ('<div class="header"><div class="logo"><a href="/">青岚县人民政府</a></div><ul class="nav">'
               '<li><a href="/">首页</a></li><li><a href="/xwzx/index.shtml">新闻中心</a></li>'
               '<li><a href="/zwgk/index.shtml">政务公开</a></li><li><a href="/zwfw/index.shtml">政务服务</a></li>'
               '<li><a href="/hdjl/index.shtml">互动交流</a></li></ul></div>')
        where = f'<div class="position">当前位置：<a href="/">首页</a>{crumbs}</div>' if crumbs else ""
        return page(title, head, top + where + main + FOOTER.format(site=self.site, idcode=self.idcode))

    def head(self, column: str | None = None) -> str:
        return metas(self.site, self.domain, self.idcode, column=column)

    def menu(self) -> str:
        items = [(f"{XXGK}{d}/index.shtml", SIDE_TITLES[k][0]) for k, d in list(SIDES.items())[:3]]
        items += [(COL + "index.shtml", "政府信息公开年报"), (f"{XXGK}ysqgk/index.shtml", "依申请公开")]
        lis = "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in items)
        return f'<div class="left-menu"><h3>政府信息公开</h3><ul>{lis}</ul></div>'

    def home(self) -> str:
        main = ('<div class="banner"></div><div class="box"><h3>要闻动态</h3><ul>'
                '<li><a href="/xwzx/index.shtml">青岚县召开县政府常务会议</a></li></ul></div>'
                '<div class="box"><h3>政务公开</h3><ul><li><a href="/zwgk/index.shtml">政务公开</a></li>'
                '<li><a href="/zwfw/index.shtml">办事服务</a></li></ul></div>')
        return self.frame(self.site, self.head(), main)

    def zwgk(self) -> str:
        main = ('<div class="zwgk-boxes"><a href="/zwgk/zfxxgk/index.shtml">政府信息公开</a>'
                '<a href="/xwzx/index.shtml">政务动态</a><a href="/hdjl/index.shtml">政策解读</a></div>')
        return self.frame("政务公开", self.head("政务公开"), main, ' &gt; 政务公开')

    def xxgk(self) -> str:
        main = self.menu() + '<div class="right-box"><h3>政府信息公开</h3><p>政府信息公开目录</p></div>'
        return self.frame("政府信息公开", self.head("政府信息公开"), main,
                          ' &gt; <a href="/zwgk/index.shtml">政务公开</a> &gt; 政府信息公开')

    def column(self) -> str:
        lis = "".join(f'<li><a href="{y}n/index.shtml" title="{y}年政府信息公开年报">{y}年</a></li>' for y in self.years())
        main = (self.menu() + '<div class="right-box"><h3 class="channel-name">政府信息公开年报</h3>'
                f'<ucapcontent><div class="sub-channel"><ul>{lis}</ul></div></ucapcontent></div>')
        return self.frame("政府信息公开年报", self.head("政府信息公开年报"), main,
                          f' &gt; <a href="{XXGK}index.shtml">政府信息公开</a> &gt; 政府信息公开年报')

    def pager(self, total: int, k: int, n: int) -> str:
        nums = "".join(f'<a class="cur">{i}</a>' if i == k else f'<a href="{self.page_name(i)}">{i}</a>'
                       for i in range(1, n + 1))
        return (f'<div class="page"><span class="total">共{total}条</span> <a href="index.shtml">首页</a> '
                f'<a href="{self.page_name(max(1, k - 1))}">上一页</a> {nums} '
                f'<a href="{self.page_name(min(n, k + 1))}">下一页</a> <a href="{self.page_name(n)}">尾页</a></div>')

    def listing(self, title: str, rows: list[tuple[str, str, str]], total: int, k: int, n: int, crumbs: str) -> str:
        lis = "".join(f'<li><a href="{p}" target="_blank" title="{esc(t)}">{esc(t)}</a><span>{d}</span></li>'
                      for t, p, d in rows)
        main = (self.menu() + f'<div class="right-box"><h3 class="channel-name">{title}</h3>'
                f'<ucapcontent><ul class="list">{lis}</ul></ucapcontent>{self.pager(total, k, n)}</div>')
        return self.frame(title, self.head(title), main, crumbs)

    def year_page(self, y: int, k: int) -> Resp | None:
        items, n = self.year_items(y), self.n_pages(y)
        if not 1 <= k <= n:
            return None
        rows = [(self.title(e), self.detail_path(e), fmt_date(e.published)) for e in items[(k - 1) * PER:k * PER]]
        crumbs = (f' &gt; <a href="{XXGK}index.shtml">政府信息公开</a> &gt; <a href="{COL}index.shtml">政府信息公开年报</a>'
                  f' &gt; {y}年')
        return html_resp(self.listing(f"{y}年", rows, len(items), k, n, crumbs))

    def side_list(self, key: str) -> str:
        rows = [(t, p, fmt_date(d)) for t, p, d in self.side_items(key)]
        name = SIDE_TITLES[key][0]
        return self.listing(name, rows, len(rows), 1, 1, f' &gt; <a href="{XXGK}index.shtml">政府信息公开</a> &gt; {name}')

    def detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        y = self.year_of(e)
        items = self.year_items(y)
        i = items.index(e)
        nav = []
        for label, j in (("上一条", i - 1), ("下一条", i + 1)):
            if 0 <= j < len(items):
                nav.append(f'<p>{label}：<a href="{self.detail_path(items[j])}">{esc(self.title(items[j]))}</a></p>')
            else:
                nav.append(f"<p>{label}：没有了</p>")
        near = {id(items[j]) for j in (i - 1, i + 1) if 0 <= j < len(items)}
        related = ([o for o in self.live() if o is not e and o.kind == "report" and o.agency == e.agency]
                   + [o for o in items if o is not e and o.kind == "report" and id(o) not in near])[:4]
        rel = "".join(f'<li><a href="{self.detail_path(o)}" target="_blank">{esc(self.title(o))}</a></li>' for o in related)
        files = [(n, p) for k, n, p in self.attachment_paths(e) if k == "ATTACH"]
        fj = ('<div class="fj"><p>附件：</p><ul>' + "".join(f'<li><a href="{p}">{esc(n)}</a></li>' for n, p in files)
              + "</ul></div>") if files else ""
        head = metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报", title=title,
                     pubdate=fmt_dt(e.published), source=e.agency, url=req.url_base + req.path)
        main = (f'<div class="article"><h1 id="ti">{esc(title)}</h1><div class="pages-date">{fmt_dt(e.published)} '
                f'<span class="font">来源：{esc(e.agency)}</span> <span class="font">字号：[大 中 小]</span></div>'
                f'<ucapcontent><div id="UCAP-CONTENT">{self.body(e)}</div></ucapcontent>{fj}'
                f'<div class="prevnext">{"".join(nav)}</div>'
                f'<div class="xglj"><h3>相关链接</h3><ul>{rel}</ul></div>'
                '<div class="share">分享到： <a href="javascript:void(0)">打印</a> <a href="javascript:window.close()">关闭</a></div></div>')
        crumbs = (f' &gt; <a href="{XXGK}index.shtml">政府信息公开</a> &gt; <a href="{COL}index.shtml">政府信息公开年报</a>'
                  f' &gt; <a href="{COL}{y}n/index.shtml">{y}年</a>')
        return html_resp(self.frame(title, head, main, crumbs), last_modified=e.modified(self.edition))

    def side(self, hit) -> Resp:
        key, title, d = hit
        main = (f'<div class="article"><h1 id="ti">{esc(title)}</h1><div class="pages-date">{fmt_dt(d)}</div>'
                f'<ucapcontent><div id="UCAP-CONTENT">{SIDE_BODY}</div></ucapcontent></div>')
        return html_resp(self.frame(title, self.head(SIDE_TITLES[key][0]), main))

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("permissive")
        if p in ("/", "/index.shtml"):
            return html_resp(self.home())
        if p == "/zwgk/index.shtml":
            return html_resp(self.zwgk())
        if p == XXGK + "index.shtml":
            return html_resp(self.xxgk())
        if p in (COL, COL + "index.shtml"):
            return html_resp(self.column())
        for key, d in SIDES.items():
            if p in (f"{XXGK}{d}/", f"{XXGK}{d}/index.shtml"):
                return html_resp(self.side_list(key))
        if p.startswith(COL):
            rest = p[len(COL):].split("/")
            if len(rest) == 2 and rest[0][:-1].isdigit() and rest[0].endswith("n"):
                name = rest[1] or "index.shtml"
                k = 1 if name == "index.shtml" else (int(name[6:-6]) if name.startswith("index_") and name[6:-6].isdigit() else 0)
                return self.year_page(int(rest[0][:-1]), k)
        e = self.entry_at(p)
        if e is not None:
            return self.detail(req, e)
        hit = self.side_article(p)
        if hit is not None:
            return self.side(hit)
        if p.startswith("/ucap/uploadfiles/"):
            hit = self.attachment_at(p)
            if hit is None or self.dead(hit[0]):
                return None
            return self.serve_file(p)
        return None
