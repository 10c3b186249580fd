"""Mock D — Guangdong gkmlpt + 集约化 static column (docs/adapters.md), host www.gd-county.gov.cn.test.

`/gkmlpt/index` is a JS shell; the 年报 list exists only in `GET /gkmlpt/api/all/2611?page=N&sid=758001`
(100 articles per page, `total`/`offset`). Details `/gkmlpt/content/<a>/<b>/post_<id>.html` with an
`mpost_` twin. The static column `/zwgk/zfxxgkgzndbg/index.html` pages 1-based (`index_2.html`).
"""
from __future__ import annotations

import json
import math
import re

from farm import fixtures
from farm.portals.base import (
    FOOTER,
    READING_AIDS,
    Entry,
    Req,
    Resp,
    digits,
    esc,
    fmt_date,
    fmt_dt,
    html_resp,
    json_resp,
    metas,
    page,
)
from farm.portals.catalog import Plan
from farm.portals.common import Portal
from farm.portals.hanweb import static_js

HOST = "www.gd-county.gov.cn.test"
ALT_HOST = "gd-county.gov.cn.test"       # bare alternate host: robots Disallow: /
SID, CLASSIFY, API_PAGE = "758001", 2611, 100
STATIC = "/zwgk/zfxxgkgzndbg/"
STATIC_PER = 15
DEPTS = tuple(f"d{i}" for i in range(8))

PLAN = Plan(
    portal="farm-gd", place="岭南县", years=(2020, 2021, 2022, 2023),
    units=("gov", "office", "t0", "t1", "t2", "t3", "t4", "t5") + DEPTS,
    specials=(
        {"unit": "d3", "year": 2022, "layout": "attachment_only", "attachment": "xls"},
        {"unit": "gov", "year": 2021, "add": True, "layout": "graphic"},
        {"unit": "t3", "year": 2023, "layout": "word", "breaks": ("T3-SUM-COLS",)},
        {"unit": "d5", "year": 2021, "layout": "text_lines", "blanks": True},
        {"unit": "t4", "year": 2022, "late": True},
    ),
    noise=170, seed=31, id_base=4942000)


class GkmlptPortal(Portal):
    id = "farm-gd"
    name = "岭南县人民政府 政府信息公开年报（gkmlpt）"
    platform = "gkmlpt"
    hosts = (HOST, ALT_HOST)
    region = "岭南县"
    site = "岭南县人民政府"
    idcode = "4418260001"

    def __init__(self, farm):
        super().__init__(farm, PLAN)

    def column_of(self, e):
        if e.kind == "report" and e.key.split("-")[0] in DEPTS:
            return "farm-gd-zwgk"
        if e.kind == "noise" and e.key in ("noise-0", "noise-1", "noise-2", "noise-3"):
            return "farm-gd-zwgk"
        return "farm-gd"

    def detail_path(self, e):
        if self.column_of(e) == "farm-gd-zwgk":
            return f"{STATIC}content/post_{e.num}.html"
        return f"/gkmlpt/content/{e.num // 1000000}/{e.num // 1000}/post_{e.num}.html"

    def duplicates(self, e):
        if self.column_of(e) == "farm-gd":
            return [self.detail_path(e).replace("/post_", "/mpost_")]
        return []

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        fid = int(digits(7, e.num, kind, index))
        return f"/attachment/0/{fid // 10000}/{fid // 10}/{fid}.{ext}"

    def columns(self):
        return [{"id": "farm-gd", "name": self.name, "url": f"/gkmlpt/index#{CLASSIFY}", "render": "auto"},
                {"id": "farm-gd-zwgk", "name": "岭南县人民政府 政府信息公开工作年度报告", "url": STATIC + "index.html",
                 "render": "static"}]

    def static_pages(self) -> list[list[Entry]]:
        items = self.live("farm-gd-zwgk")
        return [items[i:i + STATIC_PER] for i in range(0, len(items), STATIC_PER)] or [[]]

    def list_pages(self, edition):
        n = len(self.live("farm-gd")) + len(self.external_jumps())
        api = [(HOST, f"/gkmlpt/api/all/{CLASSIFY}?page={k}&sid={SID}") for k in range(1, math.ceil(n / API_PAGE) + 1)]
        st = [(HOST, STATIC + ("index.html" if k == 0 else f"index_{k + 1}.html")) for k in range(len(self.static_pages()))]
        return {"farm-gd": [(HOST, "/gkmlpt/index")] + api, "farm-gd-zwgk": st}

    def frame(self, title, head, main):
        top = f'<div class="header"><a href="/">{self.site}</a> {READING_AIDS}</div>'
        return page(title, head, top + main + FOOTER.format(site=self.site, idcode=self.idcode))

    def head(self, column, e: Entry | None = None, url=""):
        if e is None:
            return metas(self.site, "www.gd-county.gov.cn", self.idcode, column=column, coltype="政府信息公开年报")
        return metas(self.site, "www.gd-county.gov.cn", self.idcode, column="政府信息公开年报",
                     coltype="政府信息公开年报", title=self.title(e), pubdate=fmt_dt(e.published),
                     source=e.agency, url=url)

    # -- gkmlpt
    def external_jumps(self) -> list[Entry]:
        """Two static-column reports also listed in gkmlpt as `type:"url"` external jumps."""
        return [e for e in self.live("farm-gd-zwgk") if e.kind == "report"][:2]

    def article(self, e: Entry, req: Req, jump: bool = False) -> dict:
        url = f"http://{HOST}:{self.farm.port}{self.detail_path(e)}"
        if not jump and e.num % 9 == 4:
            url = "//" + url.split("//", 1)[1]          # protocol-relative, as on some sites
        ts = int(e.published.timestamp())
        return {"id": e.num, "title": self.title(e), "url": url, "post_url": url, "type": "url" if jump else "normal",
                "classify_main": CLASSIFY, "identifier": f"11441826007{e.num % 1000:03d}/{e.published.year}-{e.num % 1000:05d}",
                "document_number": "", "publisher": e.agency, "create_time": ts, "first_publish_time": ts,
                "display_publish_time": ts, "created_at": fmt_dt(e.published), "date": ts}

    def api(self, req: Req, classify: str) -> Resp:
        if req.query.get("sid") != SID or classify != str(CLASSIFY):
            return json_resp({"classify": None, "total": 0, "offset": 0, "articles": []})
        items = [(e, False) for e in self.live("farm-gd")] + [(e, True) for e in self.external_jumps()]
        items.sort(key=lambda t: t[0].published, reverse=True)
        k = max(1, int(req.query.get("page") or 1))
        off = (k - 1) * API_PAGE
        arts = [self.article(e, req, j) for e, j in items[off:off + API_PAGE]]
        return json_resp({"classify": {"id": CLASSIFY, "name": "政府信息公开年报", "jump_url": "",
                                       "post_count": len(items) + 3},
                          "total": len(items), "offset": off, "articles": arts},
                         headers=[("Set-Cookie", "gkmlfront_session=eyJpdiI6Im1vY2sifQ; Path=/; HttpOnly")])

    def shell(self) -> str:
        tree = "".join(f'<li><a href="#{c}">{t}</a></li>' for c, t in (
            (2601, "政府信息公开指南"), (2602, "政府信息公开制度"), (2610, "法定主动公开内容"), (CLASSIFY, "政府信息公开年报")))
        main = (f'<div class="gkmlpt-tree"><ul>{tree}</ul></div>'
                f'<div id="gkmlpt-list" data-sid="{SID}" data-classify="{CLASSIFY}"></div>'
                '<script src="/gkmlpt/static/js/app.js"></script>')
        return self.frame("政府信息公开目录", self.head("政府信息公开目录"), main)

    def gk_detail(self, req: Req, e: Entry) -> str:
        title = self.title(e)
        d = fmt_date(e.published)
        art = self.article(e, req)
        header = ('<div class="classify"><table><tbody>'
                  f'<tr><td class="td-label">索引号：</td><td class="td-value"><span>{art["identifier"]}</span></td>'
                  '<td class="td-label">分类：</td><td class="td-value"><span>政府信息公开年报</span></td></tr>'
                  f'<tr><td class="td-label">发布机构：</td><td class="td-value"><span>{esc(e.agency)}</span></td>'
                  f'<td class="td-label">成文日期：</td><td class="td-value"><span>{d}</span></td></tr>'
                  f'<tr><td class="td-label">名称：</td><td class="td-value-xl" colspan="3"><span>{esc(title)}</span></td></tr>'
                  f'<tr><td class="td-label">文号：</td><td class="td-value"><span></span></td>'
                  f'<td class="td-label">发布日期：</td><td class="td-value"><span>{d}</span></td></tr>'
                  '<tr><td class="td-label">主题词：</td><td class="td-value-xl" colspan="3"><span></span></td></tr>'
                  '</tbody></table></div>')
        body = self.body(e).replace('<a href="/attachment/', '<a class="nfw-cms-attachment" href="/attachment/')
        detail_js = json.dumps({k: art[k] for k in ("id", "title", "identifier", "publisher", "create_time")},
                               ensure_ascii=False)
        main = (f'{header}<div class="content"><h1 class="title">{esc(title)}</h1>'
                f'<div class="article-content">{body}</div></div>'
                f"<script>window._CONFIG = {{ DETAIL: {detail_js}, TREE: [] }};</script>")
        return self.frame(title, self.head(None, e, req.url_base + req.path), main)

    # -- static column
    def static_list(self, k: int) -> str:
        pages = self.static_pages()
        lis = "".join(f'<li><span class="name"><a href="{self.detail_path(e)}" title="{esc(self.title(e))}" '
                      f'target="_blank">{esc(self.title(e))}</a></span><span class="wh"></span>'
                      f'<span class="date">{fmt_date(e.published)}</span></li>' for e in pages[k])
        links = " ".join(f'<a href="{STATIC}{"index.html" if i == 0 else f"index_{i + 1}.html"}">{i + 1}</a>'
                         for i in range(len(pages)))
        main = f'<div class="viewList"><ul>{lis}</ul></div><div class="page">{links}</div>'
        return self.frame("政府信息公开工作年度报告", self.head("政府信息公开工作年度报告"), main)

    def static_detail(self, req: Req, e: Entry) -> str:
        title = self.title(e)
        main = (f'<div class="introduce"><span>发布机构：{esc(e.agency)}</span> <span>发布日期：{fmt_dt(e.published)}</span></div>'
                f'<h1 class="title">{esc(title)}</h1><div class="zw">{self.body(e)}</div>')
        return self.frame(title, self.head(None, e, req.url_base + req.path), main)

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if req.host == ALT_HOST:
            return fixtures.robots("disallow_all") if p == "/robots.txt" else html_resp(
                f"<html><body><a href='http://{HOST}:{self.farm.port}/'>{self.site}</a></body></html>")
        if p == "/robots.txt":
            return fixtures.robots("permissive")
        if p in ("/", "/index.html"):
            return html_resp(self.frame(self.site, self.head(None) if False else metas(self.site, "www.gd-county.gov.cn", self.idcode),
                                        f'<a href="/gkmlpt/index">政府信息公开目录</a> <a href="{STATIC}index.html">政府信息公开工作年度报告</a>'))
        if p == "/gkmlpt/index":
            return html_resp(self.shell(), headers=[("Set-Cookie", "front_uc_session=mock; Path=/")])
        if p == "/gkmlpt/static/js/app.js":
            return static_js("gkmlpt_app.js")
        m = re.fullmatch(r"/gkmlpt/api/all/(\d+)", p)
        if m:
            return self.api(req, m.group(1))
        m = re.fullmatch(r"/gkmlpt/content/\d+/\d+/m?post_(\d+)\.html", p)
        if m:
            e = self.entry_at(p.replace("/mpost_", "/post_"))
            if e is not None:
                return html_resp(self.gk_detail(req, e), last_modified=e.modified(self.edition))
            return None
        if p in (STATIC, STATIC + "index.html"):
            return html_resp(self.static_list(0))
        m = re.fullmatch(re.escape(STATIC) + r"index_(\d+)\.html", p)
        if m:
            k = int(m.group(1)) - 1
            return html_resp(self.static_list(k)) if 1 <= k < len(self.static_pages()) else None
        e = self.entry_at(p)
        if e is not None:
            return html_resp(self.static_detail(req, e), last_modified=e.modified(self.edition))
        if p.startswith("/attachment/"):
            return self.serve_file(p)
        return None
