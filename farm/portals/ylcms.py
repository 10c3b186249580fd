"""Mock E — Fujian ylcms (docs/adapters.md), host www.yl-county.gov.cn.test.

Page 1 `/cms/html/xxrmzf/zfxxgknb/index.html` (15 items, `<UL id="resources">`); pages ≥ 2 only at
`/cms/sitemanage/index.shtml?siteId=…&page=N`. Type A details `/cms/html/xxrmzf/YYYY-MM-DD/<10>.html`
(PubDate with em dashes); attachment reports are type B `publicInfo.shtml?id=…&siteId=…`.
"""
from __future__ import annotations

import math

from farm import fixtures
from farm.portals.base import FOOTER, Entry, Req, Resp, digits, esc, fmt_date, fmt_dt, hexname, html_resp, metas, page
from farm.portals.catalog import Plan
from farm.portals.common import Portal

HOST = "www.yl-county.gov.cn.test"
SITE_ID = "830612491159490002"
COL = "/cms/html/xxrmzf/zfxxgknb/index.html"
PER = 15

PLAN = Plan(
    portal="farm-yl", place="闽溪县", years=(2020, 2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d5", "d6", "d7", "t0", "t1", "t2", "t3"),
    specials=(
        {"unit": "d1", "year": 2023, "layout": "attachment_only", "attachment": "pdf"},
        {"unit": "d2", "year": 2022, "layout": "attachment_only", "attachment": "doc"},
        {"unit": "d5", "year": 2021, "layout": "attachment_only", "attachment": "xlsx"},
        {"unit": "t0", "year": 2023, "layout": "text_lines"},
        {"unit": "t1", "year": 2022, "layout": "editor", "breaks": ("T3-SUM-RESULTS",)},
        {"unit": "d6", "year": 2023, "late": True},
    ),
    noise=8, seed=41, id_base=1788470000)


class YlcmsPortal(Portal):
    id = "farm-yl"
    name = "闽溪县人民政府 政府信息公开年报"
    platform = "ylcms"
    hosts = (HOST,)
    region = "闽溪县"
    site = "闽溪县人民政府"
    idcode = "3506290001"
    site_id = SITE_ID

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    def type_b(self, e: Entry) -> bool:
        return e.kind == "report" and e.spec.attachment is not None

    def detail_path(self, e):
        if self.type_b(e):
            return f"/cms/infopublic/publicInfo.shtml?id=2068499610{digits(7, e.num)}&siteId={self.site_id}"
        return f"/cms/html/xxrmzf/{fmt_date(e.published)}/{e.num}.html"

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        return f"/cms/upload/infopublic/{e.published:%Y%m%d}/{hexname(e.num, kind, index)}.{ext}"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": COL, "render": "static"}]

    def pages(self):
        items = self.live()
        return max(1, math.ceil(len(items) / PER)), items

    def list_pages(self, edition):
        n, _ = self.pages()
        return {self.id: [(HOST, COL)] + [(HOST, f"/cms/sitemanage/index.shtml?siteId={self.site_id}&page={k}")
                                          for k in range(2, n + 1)]}

    def frame(self, title, head, main):
        return page(title, head + f'\n<meta name="siteIdMeta" content="{self.site_id}">',
                    f'<div class="header"><a href="/cms/html/xxrmzf/index.html">{self.site}</a></div>' + main +
                    FOOTER.format(site=self.site, idcode=self.idcode))

    def list_page(self, k: int) -> str:
        n, items = self.pages()
        chunk = items[(k - 1) * PER:k * PER]
        lis = "".join(f'<LI><A href="{self.detail_path(e)}" title="{esc(self.title(e))}" target="_blank">'
                      f'{esc(self.title(e))}</A><SPAN>{fmt_date(e.published)}</SPAN></LI>\n' for e in chunk)
        pager = " ".join(f'<a href="/cms/sitemanage/index.shtml?siteId={self.site_id}&page={i}">{i}</a>'
                         for i in range(1, n + 1))
        main = f'<div class="list-box"><UL id="resources">{lis}</UL></div><div class="pager">{pager}</div>'
        return self.frame("政府信息公开年报", metas(self.site, "www.yl-county.gov.cn", self.idcode,
                                               column="政府信息公开年报", coltype="政府信息公开年报"), main)

    def head(self, e: Entry, url: str) -> str:
        h = metas(self.site, "www.yl-county.gov.cn", self.idcode, column="政府信息公开年报", coltype="政府信息公开年报",
                  title=self.title(e), pubdate=fmt_dt(e.published).replace("-", "—"), source=e.agency, url=url)
        return h

    def detail(self, req: Req, e: Entry) -> Resp:
        title = self.title(e)
        url = req.url_base + self.detail_path(e)
        if not self.type_b(e):
            main = (f'<div class="top-title1">{esc(title)}</div><div class="top-title2"><span class="rq">日期：'
                    f'{fmt_date(e.published)}</span> <span class="ly">来源：{esc(e.agency)}</span></div>'
                    f'<div id="Content">{self.body(e)}</div>')
        else:
            paths = self.attachment_paths(e)
            pdfs = [p for k, n, p in paths if k == "ATTACH" and p.endswith(".pdf")]
            words = [(n, p) for k, n, p in paths if k == "ATTACH" and not p.endswith(".pdf")]
            viewer = (f'<iframe src="/pdfjs/web/viewer.html?file={pdfs[0]}" width="100%" height="800"></iframe>'
                      if pdfs else "")
            pdf_links = "".join(f'<a href="{p}">{esc(n)}</a>' for k, n, p in paths if p.endswith(".pdf")) or "无pdf文件"
            word_links = "".join(f'<a href="{p}">{esc(n)}</a>' for n, p in words) or "无word文件"
            main = (f'<div class="title"><h1>{esc(title)}</h1></div><ul class="info">'
                    f'<li>索引号：{self.site_id[-6:]}-{e.published.year}-{e.num % 10000:04d}</li>'
                    f'<li>发文机关：{esc(e.agency)}</li><li>发布日期：{fmt_date(e.published)}</li></ul>'
                    f'<div id="Content"><div class="tsrc">{viewer}</div><div class="tsrc">{self.body(e)}</div></div>'
                    f'<ul><li id="wjxz">附件下载：<span id="pdfattachments">{pdf_links}</span> '
                    f'<span id="wordattachments">{word_links}</span></li></ul>')
        return html_resp(self.frame(title, self.head(e, url), main), last_modified=e.modified(self.edition))

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("missing")
        if p in ("/", "/cms/html/xxrmzf/index.html"):
            return html_resp(self.frame(self.site, metas(self.site, "www.yl-county.gov.cn", self.idcode),
                                        '<a href="/cms/html/xxrmzf/zwgk/index.html">政务公开</a>'))
        if p == "/cms/html/xxrmzf/zwgk/index.html":
            tabs = ('<ul><li id="tabstripButton_1">政府信息公开指南</li><li id="tabstripButton_2">政府信息公开年报</li></ul>'
                    '<div id="tabstripMore_1"><a href="/cms/html/xxrmzf/zfxxgkzn/index.html">更多</a></div>'
                    f'<div id="tabstripMore_2"><a href="{COL}">index.shtml?siteId={self.site_id}</a></div>')
            return html_resp(self.frame("政务公开", metas(self.site, "www.yl-county.gov.cn", self.idcode,
                                                       column="政务公开"), tabs))
        if p == COL:
            return html_resp(self.list_page(1))
        if p == "/cms/sitemanage/index.shtml":
            if req.query.get("siteId") != self.site_id:
                return fixtures.soft_404()
            k = int(req.query.get("page") or 1)
            n, _ = self.pages()
            if k > n:
                return html_resp(self.frame("政府信息公开年报", "", '<UL id="resources"></UL>'))
            return html_resp(self.list_page(max(1, k)))
        key = p + ("?" + req.raw_query if req.raw_query else "")
        e = self.entry_at(key)
        if e is not None:
            return self.detail(req, e)
        if p.startswith("/cms/upload/"):
            return self.serve_file(p)
        if p.startswith("/cms/html/"):
            return fixtures.soft_404()
        return None
