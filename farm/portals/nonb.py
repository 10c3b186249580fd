"""A township site with a 政务公开 area but NO 年报 column (the "none found" case of
`nianbao sources discover`). Host www.nonb-town.gov.cn.test, served always, listed nowhere: it
has no source and no report (farm/portals/sitekit.py).

Facts the portal reproduces (a small static `.html` site, as township sites of a county's site
group are): home `/` → 政务公开 `/zwgk/index.html` with 政府信息公开指南 (`/zwgk/gkzn/`),
政府信息公开制度 (`/zwgk/gkzd/`), 法定主动公开内容 (`/zwgk/fdzdgk/`) and 依申请公开 (`/zwgk/ysqgk/`);
their reports are published on the county's portal, so no column here holds one. Near misses a
discoverer must not take for a 年报 column: 通知公告 (`/tzgg/`) with the county's notice
《关于做好…政府信息公开工作年度报告编制发布工作的通知》 (an article, not a column), and
法定主动公开内容's 财政预决算 articles. Lists are `ul.news-list > li`, one page each.
"""
from __future__ import annotations

from farm.portals.base import FOOTER, Req, Resp, esc, fmt_date, html_resp, metas, page
from farm.portals.catalog import Plan
from farm.portals.sitekit import SIDE_BODY, SIDE_TITLES, SitePortal

HOST = "www.nonb-town.gov.cn.test"
DIRS = {"guide": "gkzn", "rules": "gkzd", "fdzd": "fdzdgk", "ysq": "ysqgk", "tzgg": "tzgg"}
TITLES = {**SIDE_TITLES,
          "tzgg": ("通知公告", ("关于做好{y1}年度政府信息公开工作年度报告编制发布工作的通知",
                               "{site}关于开展政务公开日活动的通知", "{site}{y}年春节假期值班安排"))}


class NoNianbaoPortal(SitePortal):
    id = "farm-nonb"
    name = "桐溪镇人民政府"
    family = "static-town"
    hosts = (HOST,)
    region = "桐溪镇"
    level = "town"
    site = "桐溪镇人民政府"
    idcode = "3301830012"
    domain = "www.nonb-town.gov.cn"
    side_titles = TITLES

    def __init__(self, farm):
        super().__init__(farm, Plan(portal=self.id, place="桐溪镇", years=(), units=(), noise=0))

    @property
    def home_url(self) -> str:
        return self.base() + "/"

    def columns(self):
        return []

    def list_pages(self, edition):
        return {}

    def detail_path(self, e):
        raise KeyError("no entries")

    def side_path(self, key, i, d):
        return f"/{'zwgk/' if key != 'tzgg' else ''}{DIRS[key]}/{d:%Y%m}/t{i + 1}_{sum(map(ord, key)) + 1000}.html"

    def frame(self, title: str, main: str, column: str | None = None) -> str:
        top = ('<div class="head"><h1><a href="/">桐溪镇人民政府</a></h1><ul class="nav"><li><a href="/">首页</a></li>'
               '<li><a href="/tzgg/">通知公告</a></li><li><a href="/zwgk/index.html">政务公开</a></li>'
               '<li><a href="/ldzc/">领导之窗</a></li></ul></div>')
        return page(title, metas(self.site, self.domain, self.idcode, column=column),
                    top + main + FOOTER.format(site=self.site, idcode=self.idcode))

    def listing(self, key: str) -> str:
        name = self.side_titles[key][0]
        lis = "".join(f'<li><a href="{p}">{esc(t)}</a><span>{fmt_date(d)}</span></li>' for t, p, d in self.side_items(key))
        return self.frame(name, f'<div class="main"><h2>{name}</h2><ul class="news-list">{lis}</ul>'
                                f'<div class="page">共{len(self.side_items(key))}条</div></div>', name)

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return Resp(body="User-agent: *\nDisallow:\n", ctype="text/plain")
        if p in ("/", "/index.html"):
            news = "".join(f'<li><a href="{p}">{esc(t)}</a></li>' for t, p, d in self.side_items("tzgg"))
            return html_resp(self.frame(self.site, f'<div class="main"><h2>通知公告</h2><ul>{news}</ul>'
                                        '<h2><a href="/zwgk/index.html">政务公开</a></h2></div>'))
        if p == "/zwgk/index.html":
            links = "".join(f'<li><a href="/zwgk/{DIRS[k]}/">{self.side_titles[k][0]}</a></li>'
                            for k in ("guide", "rules", "fdzd", "ysq"))
            return html_resp(self.frame("政务公开", f'<div class="main"><h2>政府信息公开</h2><ul class="gk-menu">{links}</ul></div>',
                                        "政务公开"))
        for key, d in DIRS.items():
            if p in (f"/{d}/", f"/zwgk/{d}/") and (key == "tzgg") == (p == f"/{d}/"):
                return html_resp(self.listing(key))
        hit = self.side_article(p)
        if hit is not None:
            key, title, d = hit
            return html_resp(self.frame(title, f'<div class="article"><h2>{esc(title)}</h2><p class="date">{fmt_date(d)}</p>'
                                        f'<div class="content">{SIDE_BODY}</div></div>', self.side_titles[key][0]))
        return None
