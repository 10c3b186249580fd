"""A second Zhejiang-style Hanweb county (opt-in variant, docs/adapters.md last table row): the jpage
proxy lives only at the legacy alias `POST /module/jslib/jquery/jpage/dataproxy.jsp` — the usual
`/module/jpage/dataproxy.jsp` answers 404 here — so a crawler must take the path from the inline
`proxyUrl:`. The site also uses a smaller group (perPage 10 × groupSize 2 = 20 inline records),
and one list record links an xxgk annual-report renderer for a unit that never published
(200 "暂无年报": a soft 404).
"""
from __future__ import annotations

import re

from farm import fixtures
from farm.portals.base import Entry, Req, Resp, html_resp, metas, not_found
from farm.portals.catalog import Plan
from farm.portals.hanweb import JPAGE_JS, HanwebBase, datastore, record, static_js

HOST = "www.hw-town.gov.cn.test"
PARENT, UNIT = 1229100100, 4852001
PROXY = "/module/jslib/jquery/jpage/dataproxy.jsp"
PER, GROUP = 10, 2
SOFT404 = "/module/xxgk/xxgkAnnualReport.jsp?area=330183XXX00000&fbtime=2023"
SOFT404_TITLE = "富春镇人民政府2023年政府信息公开工作年度报告"

PLAN = Plan(
    portal="farm-hw-alias", place="富阳区", years=(2021, 2022, 2023),
    units=("gov", "office", "d0", "d1", "d2", "d3", "t0", "t1", "t2"),
    specials=({"unit": "d2", "year": 2022, "layout": "attachment_only", "attachment": "docx"},),
    noise=6, seed=71, id_base=5370000)


class HanwebAliasPortal(HanwebBase):
    id = "farm-hw-alias"
    name = "富阳区人民政府 政府信息公开年报（jpage 旧路径）"
    hosts = (HOST,)
    region = "富阳区"
    site = "富阳区人民政府"
    domain = "www.hw-town.gov.cn"
    idcode = "3301830001"
    webid = 3621
    extra = True

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    def detail_path(self, e: Entry) -> str:
        return self.art_path(e, PARENT)

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": f"/col/col{PARENT}/index.html", "render": "static"}]

    def records(self) -> list[str]:
        recs = [record(e, self.title(e), self.detail_path(e), 1 if i % 6 == 4 else 0)
                for i, e in enumerate(self.live())]
        # the dead renderer link sits among the regular records (after the first inline group)
        recs.insert(min(len(recs), PER * GROUP + 3),
                    f'<li><a href="{SOFT404}" target="_blank" title="{SOFT404_TITLE}">{SOFT404_TITLE}</a>'
                    '<span>2024-01-19</span></li>')
        return recs

    def list_pages(self, edition):
        n, g = len(self.records()), PER * GROUP
        return {self.id: [(HOST, f"/col/col{PARENT}/index.html")] + [
            (HOST, f"{PROXY}?startrecord={s}&endrecord={min(s + g - 1, n)}&perpage={PER}") for s in range(g + 1, n + 1, g)]}

    def broken(self):
        return [{"url": self.base() + SOFT404, "reason": "soft_404", "portal": self.id}]

    def column_page(self) -> str:
        recs = self.records()
        nextgroup = (f'<a href="{PROXY}?page=1&appid=1&webid={self.webid}&path=/&columnid={PARENT}'
                     f'&unitid={UNIT}&webname={self.site}&permissiontype=0"></a>')
        main = (f'<div class="position">当前位置：<a href="/">首页</a> &gt;&gt; 政府信息公开年报</div>\n'
                f'<div class="main-list"><div id="{UNIT}">\n<script type="text/xml">{datastore(recs[:PER * GROUP], nextgroup)}'
                f'</script>\n</div></div>\n{JPAGE_JS}\n<script>\n$(document).ready(function(){{\n'
                f"  $('#{UNIT}').jpage({{ dataStore: dataStore, totalRecord: {len(recs)}, perPage: {PER}, groupSize: {GROUP},"
                f" proxyUrl: '{PROXY}', ajaxParam: {{col:1, appid:1, webid:{self.webid}, path:'/',"
                f" columnid:{PARENT}, sourceContentType:1, unitid:{UNIT}, webname:'{self.site}', permissiontype:0}},"
                " themeName: 'default', showMode: 'full' });\n});\n</script>")
        head = metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报")
        return self.frame("政府信息公开年报", head, main)

    def proxy(self, req: Req) -> Resp:
        prm = req.params()
        recs = self.records() if prm.get("columnid") == str(PARENT) else []
        s = int(prm.get("startrecord") or 1)
        e = int(prm.get("endrecord") or (s + PER * GROUP - 1))
        per = int(prm.get("perpage") or PER)
        nxt = f'<a href="./dataproxy.jsp?startrecord={e + 1}&endrecord={e + GROUP * per}&perpage={per}"></a>'
        return Resp(body=datastore(recs[s - 1:e] if s >= 1 else [], nxt, total=len(recs), xml_decl=True),
                    ctype="text/xml; charset=UTF-8")

    def detail(self, req: Req, e: Entry) -> Resp:
        r = html_resp(self.detail_html(req, e, [(f"/col/col{PARENT}/index.html", "政府信息公开年报")], PARENT,
                                       header=True))
        r.last_modified = e.modified(self.edition)
        return r

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("missing")
        if p in ("/", "/index.html"):
            return html_resp(self.frame(self.site, metas(self.site, self.domain, self.idcode),
                                        f'<a href="/col/col{PARENT}/index.html">政府信息公开年报</a>'))
        if p == f"/col/col{PARENT}/index.html":
            return html_resp(self.column_page())
        if p == PROXY:
            return self.proxy(req)
        if p == "/module/jpage/dataproxy.jsp":
            return not_found()
        if p == "/module/xxgk/xxgkAnnualReport.jsp":
            return html_resp(self.frame("暂无年报", "", '<div class="main"><p>暂无年报</p></div>'))
        if re.fullmatch(r"/module/jslib/jquery/jpage/[\w.]+\.js", p):
            return static_js("hanweb_jpage.js")
        e = self.entry_at(p)
        if e is not None:
            return self.detail(req, e)
        return self.files(req)
