"""A county site of a JSP 站群 (site-group) platform whose lists page with the JSP pager-taglib
(`pager.offset`) — a static multi-page list no adapter targets and whose pager the generic
fallback does not read. Host www.jsp-county.gov.cn.test, opt-in (farm/portals/sitekit.py).

Facts the portal reproduces:
* Every column is `/zfxxgk/list.jsp?catId=<n>`; the 政府信息公开 landing `/zfxxgk/index.jsp` links
  政府信息公开指南 (1040), 政府信息公开制度 (1041), 法定主动公开内容 (1042) and 依申请公开 (1044).
  The 年报 column is a sub-category of 法定主动公开内容 named just **年度报告** (1050), beside
  政府工作报告 (1051, the government's work report — not a 年报), 财政预决算 (1052) and
  机构职能 (1053).
* A list is a `table.list-table` of `td.title > a` + `td.date` (`[2024-01-30]`), 10 rows a page.
  Page k+1 is `list.jsp?catId=1050&pager.offset=<10·k>`; the pager `div.pageinfo` prints
  `共44条 1/5页`, then 首页/上一页/下一页/尾页 links (plain text at the ends) and a
  `转到第<select onchange="location.href=this.value">` whose options are the other pages — no
  numbered links, no `page=` parameter, no `index_N` file. An offset past the end lists nothing.
* Details `/zfxxgk/content.jsp?contentId=<id>&catId=1050`: `div.zw-title`, `div.zw-info`
  (发布日期/来源/浏览次数), body `div#fontzoom`; attachments `/zfxxgk/attach/<yyyy>/<mmdd>/<hex>.<ext>`.
* robots.txt: none (404).

`list_pages` spells page 1 with its implicit `pager.offset=0` (the server reads a request without
it as offset 0), so `Farm.set_broken_page("farm-jsp", 1)` breaks page 1 only and page 3 is
`pager.offset=20`.
"""
from __future__ import annotations

import math

from farm import fixtures
from farm.portals.base import FOOTER, Entry, Req, Resp, esc, fmt_date, hexname, html_resp, metas, page
from farm.portals.catalog import Plan
from farm.portals.sitekit import SIDE_BODY, SIDE_TITLES, SitePortal

HOST = "www.jsp-county.gov.cn.test"
LIST = "/zfxxgk/list.jsp"
NB = "1050"
PER = 10
SIDE_TITLES_JSP = {**SIDE_TITLES,
                   "gzbg": ("政府工作报告", ("{site}{y}年政府工作报告", "{site}{y1}年政府工作报告", "{site}{y2}年政府工作报告")),
                   "czyjs": ("财政预决算", ("{site}{y}年财政预算草案", "{site}{y1}年财政决算报告")),
                   "jgzn": ("机构职能", ("{site}机构职能",))}
CATS = {"1040": "guide", "1041": "rules", "1042": "fdzd", "1044": "ysq",
        NB: "nb", "1051": "gzbg", "1052": "czyjs", "1053": "jgzn"}
FDZD_SUBS = (NB, "1051", "1052", "1053")

PLAN = Plan(
    portal="farm-jsp", place="柘原县", years=(2021, 2022, 2023),
    units=("gov", "office", "d0", "d2", "d3", "d5", "d8", "d9", "d13", "t3", "t5", "t7"),
    specials=(
        {"unit": "d5", "year": 2023, "attachment": "pdf"},
        {"unit": "t5", "year": 2022, "layout": "attachment_only", "attachment": "doc"},
        {"unit": "d13", "year": 2021, "fmt": "2019"},
    ),
    noise=8, seed=171, id_base=8800000)


def list_url(cat: str, offset: int | None = None) -> str:
    return f"{LIST}?catId={cat}" + ("" if offset is None else f"&pager.offset={offset}")


class JspListPortal(SitePortal):
    id = "farm-jsp"
    name = "柘原县人民政府 年度报告"
    family = "jsp-pager"
    hosts = (HOST,)
    region = "柘原县"
    site = "柘原县人民政府"
    idcode = "3607300001"
    domain = "www.jsp-county.gov.cn"
    side_titles = SIDE_TITLES_JSP

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    # -- catalogue
    def detail_path(self, e: Entry) -> str:
        return f"/zfxxgk/content.jsp?contentId={e.num}&catId={NB}"

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        return f"/zfxxgk/attach/{e.published:%Y}/{e.published:%m%d}/{hexname('jsp', e.num, kind, index)[:24]}.{ext}"

    def side_path(self, key, i, d):
        cat = next(c for c, k in CATS.items() if k == key)
        return f"/zfxxgk/content.jsp?contentId={9900000 + 31 * int(cat) + i}&catId={cat}"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": list_url(NB), "render": "auto"}]

    def n_pages(self) -> int:
        return max(1, math.ceil(len(self.live()) / PER))

    def list_pages(self, edition):
        return {self.id: [(HOST, list_url(NB, k * PER)) for k in range(self.n_pages())]}

    def request_params(self, req: Req) -> dict[str, str]:
        out = dict(req.params())
        if req.path == LIST:
            out.setdefault("pager.offset", "0")
        return out

    # -- pages
    def frame(self, title: str, main: str, column: str | None = None) -> str:
        top = ('<table class="top" width="1000"><tr><td><a href="/"><img src="/images/logo.png" alt="柘原县人民政府"></a></td>'
               '</tr></table><div class="menu"><a href="/">网站首页</a> | <a href="/zwdt/index.jsp">政务动态</a> | '
               '<a href="/zfxxgk/index.jsp">政府信息公开</a> | <a href="/bsfw/index.jsp">办事服务</a> | '
               '<a href="/gzcy/index.jsp">公众参与</a></div>')
        return page(title, metas(self.site, self.domain, self.idcode, column=column),
                    top + main + FOOTER.format(site=self.site, idcode=self.idcode))

    def cat_name(self, cat: str) -> str:
        return "年度报告" if cat == NB else self.side_titles[CATS[cat]][0]

    def left(self) -> str:
        lis = "".join(f'<li><a href="{list_url(c)}">{self.cat_name(c)}</a></li>' for c in ("1040", "1041", "1042", "1044"))
        return f'<div class="left"><div class="left-title">政府信息公开</div><ul>{lis}</ul></div>'

    def home(self) -> str:
        main = ('<div class="home-news"><div class="bt">政务动态</div><ul>'
                '<li><a href="/zwdt/index.jsp">柘原县开展政务公开日活动</a></li></ul></div>'
                '<div class="home-gk"><div class="bt"><a href="/zfxxgk/index.jsp">政府信息公开</a></div>'
                '<a href="/zfxxgk/index.jsp">信息公开目录</a></div>')
        return self.frame(self.site, main)

    def landing(self) -> str:
        return self.frame("政府信息公开", self.left() + '<div class="right"><div class="right-title">政府信息公开</div>'
                          '<p>柘原县人民政府信息公开目录</p></div>', "政府信息公开")

    def fdzd(self) -> str:
        subs = "".join(f'<li><a href="{list_url(c)}">{self.cat_name(c)}</a></li>' for c in FDZD_SUBS)
        return self.frame("法定主动公开内容", self.left() + '<div class="right"><div class="right-title">法定主动公开内容</div>'
                          f'<ul class="sub-cats">{subs}</ul></div>', "法定主动公开内容")

    def rows(self, cat: str) -> list[tuple[str, str, str]]:
        if cat == NB:
            return [(self.title(e), self.detail_path(e), fmt_date(e.published)) for e in self.live()]
        return [(t, p, fmt_date(d)) for t, p, d in self.side_items(CATS[cat])]

    def pager(self, cat: str, total: int, k: int, n: int) -> str:
        def link(label, j, on):
            return f'<a href="{list_url(cat, j * PER)}">{label}</a>' if on else label
        opts = "".join(f'<option value="{list_url(cat, j * PER)}"{" selected" if j == k else ""}>{j + 1}</option>'
                       for j in range(n))
        return (f'<div class="pageinfo">共{total}条 {k + 1}/{n}页 {link("首页", 0, k > 0)} {link("上一页", k - 1, k > 0)} '
                f'{link("下一页", k + 1, k < n - 1)} {link("尾页", n - 1, k < n - 1)} 转到第'
                f'<select onchange="location.href=this.value">{opts}</select>页</div>')

    def listing(self, cat: str, offset: int) -> str:
        rows = self.rows(cat)
        n = max(1, math.ceil(len(rows) / PER))
        k = offset // PER
        trs = "".join(f'<tr><td class="title"><a href="{p}" target="_blank" title="{esc(t)}">{esc(t)}</a></td>'
                      f'<td class="date">[{d}]</td></tr>' for t, p, d in rows[offset:offset + PER])
        name = self.cat_name(cat)
        main = (self.left() + f'<div class="right"><div class="right-title">{name}</div>'
                f'<table class="list-table" width="100%">{trs}</table>{self.pager(cat, len(rows), min(k, n - 1), n)}</div>')
        return self.frame(name, main, name)

    def article(self, title: str, d, source: str, body: str, column: str, url: str) -> str:
        main = (f'<div class="zw"><div class="zw-title">{esc(title)}</div><div class="zw-info">发布日期：{fmt_date(d)}'
                f'　来源：{esc(source)}　浏览次数：<span id="hits"></span></div>'
                f'<div class="zw-content" id="fontzoom">{body}</div>'
                '<div class="zw-tools"><a href="javascript:window.print()">【打印本页】</a>'
                '<a href="javascript:window.close()">【关闭窗口】</a></div></div>')
        head = metas(self.site, self.domain, self.idcode, column=column, coltype=column, title=title,
                     pubdate=fmt_date(d), source=source, url=url)
        return page(title, head, main + FOOTER.format(site=self.site, idcode=self.idcode))

    def handle(self, req: Req) -> Resp | None:
        p, q = req.path, req.query
        if p == "/robots.txt":
            return fixtures.robots("missing")
        if p in ("/", "/index.jsp"):
            return html_resp(self.home())
        if p == "/zfxxgk/index.jsp":
            return html_resp(self.landing())
        if p == LIST:
            cat = q.get("catId", "")
            if cat not in CATS:
                return fixtures.soft_404()
            if cat == "1042":
                return html_resp(self.fdzd())
            try:
                offset = max(0, int(q.get("pager.offset") or 0))
            except ValueError:
                offset = 0
            return html_resp(self.listing(cat, offset))
        key = p + ("?" + req.raw_query if req.raw_query else "")
        e = self.entry_at(key)
        if e is not None:
            return html_resp(self.article(self.title(e), e.published, e.agency, self.body(e), "年度报告",
                                          req.url_base + key), last_modified=e.modified(self.edition))
        hit = self.side_article(key)
        if hit is not None:
            k, title, d = hit
            return html_resp(self.article(title, d, self.site, SIDE_BODY, self.side_titles[k][0], req.url_base + key))
        if p.startswith("/zfxxgk/attach/"):
            return self.serve_file(p)
        return None
