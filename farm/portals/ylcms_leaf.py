"""A Fujian ylcms city department whose 年报 sit in an 信息公开 leaf directory (opt-in variant,
docs/adapters.md): the list is only at
`/cms/infopublic/index.shtml?directoryId=…&leafInfoDirectoryPageEnable=true&siteId=…&page=N`
as `UL#infos > DIV.menuli > LI`; every item is a type B `publicInfo.shtml` detail.
"""
from __future__ import annotations

import math

from farm import fixtures
from farm.portals.base import Entry, Req, Resp, esc, fmt_date, fmt_dt, html_resp, metas
from farm.portals.catalog import Plan
from farm.portals.ylcms import YlcmsPortal

HOST = "www.yl-city.gov.cn.test"
SITE_ID = "830612491159490771"
DIR_ID = "1806151043459270002"
PER = 10

PLAN = Plan(
    portal="farm-yl-leaf", place="溪源市", years=(2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d3", "d4", "d5"),
    specials=({"unit": "d1", "year": 2023, "layout": "attachment_only", "attachment": "pdf"},
              {"unit": "d3", "year": 2022, "layout": "editor", "blanks": True}),
    noise=6, seed=81, id_base=1788900000)


def leaf_url(k: int, directory: str = DIR_ID) -> str:
    return (f"/cms/infopublic/index.shtml?directoryId={directory}&leafInfoDirectoryPageEnable=true"
            f"&siteId={SITE_ID}&page={k}")


class YlcmsLeafPortal(YlcmsPortal):
    id = "farm-yl-leaf"
    name = "溪源市人民政府 政府信息公开年报（信息公开目录）"
    hosts = (HOST,)
    region = "溪源市"
    level = "city"
    site = "溪源市人民政府"
    idcode = "3507000001"
    site_id = SITE_ID
    extra = True

    def __init__(self, farm):
        super(YlcmsPortal, self).__init__(farm, PLAN)

    def type_b(self, e: Entry) -> bool:
        return True

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": leaf_url(1), "render": "static"}]

    def n_pages(self) -> int:
        return max(1, math.ceil(len(self.live()) / PER))

    def list_pages(self, edition):
        return {self.id: [(HOST, leaf_url(k)) for k in range(1, self.n_pages() + 1)]}

    def head(self, e: Entry, url: str) -> str:
        return metas(self.site, "www.yl-city.gov.cn", self.idcode, column="政府信息公开年报", coltype="政府信息公开年报",
                     title=self.title(e), pubdate=fmt_dt(e.published).replace("-", "—"), source=e.agency, url=url)

    def leaf_page(self, k: int) -> str:
        items = self.live()[(k - 1) * PER:k * PER]
        lis = "".join(f'<DIV class="menuli"><LI><A href="{self.detail_path(e)}" title="{esc(self.title(e))}" '
                      f'target="_blank">{esc(self.title(e))}</A><SPAN>{fmt_date(e.published)}</SPAN></LI></DIV>\n'
                      for e in items)
        pager = " ".join(f'<a href="{leaf_url(i)}">{i}</a>' for i in range(1, self.n_pages() + 1)) if items else ""
        main = (f'<div class="xxgk-main"><div class="xxgk-title">政府信息公开年报</div>'
                f'<UL id="infos">\n{lis}</UL><div class="pager">{pager}</div></div>')
        return self.frame("政府信息公开年报", metas(self.site, "www.yl-city.gov.cn", self.idcode,
                                               column="政府信息公开年报", coltype="政府信息公开年报"), main)

    def handle(self, req: Req) -> Resp | None:
        p, q = req.path, req.query
        if p == "/robots.txt":
            return fixtures.robots("missing")
        if p == "/":
            return html_resp(self.frame(self.site, metas(self.site, "www.yl-city.gov.cn", self.idcode),
                                        f'<a href="{esc(leaf_url(1))}">政府信息公开年报</a>'))
        if p == "/cms/infopublic/index.shtml":
            if q.get("siteId") != SITE_ID or q.get("directoryId") != DIR_ID:
                return fixtures.soft_404()
            k = max(1, int(q.get("page") or 1))
            return html_resp(self.leaf_page(k))     # past the end: an empty UL#infos
        e = self.entry_at(p + ("?" + req.raw_query if req.raw_query else ""))
        if e is not None:
            return self.detail(req, e)
        if p.startswith("/cms/upload/"):
            return self.serve_file(p)
        return None
