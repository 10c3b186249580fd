"""What the opt-in adversarial portals share (hostile.py, bombs.py): a gkmlpt-style 年报 column
whose JSON list mixes the portal's ordinary reports with the entries a test is about, served on
its own host and never listed by `Farm.sources()` / `Farm.manifest()` — a test takes
`own_sources()` / `own_manifest()` from the portal's module instead, so no other test's counts
change.
"""
from __future__ import annotations

from farm import fixtures
from farm.portals.base import (
    FOOTER,
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
    redirect,
)
from farm.portals.common import Portal


class OptInColumn(Portal):
    platform = "gkmlpt"
    extra = True
    sid = ""                # the gkmlpt site id and column (classify) of the list API
    classify = 0
    expect = ""             # the `expect` mark on the portal's sources
    domain = ""             # the portal's own domain in its metas
    prefix = ""             # URL prefix of the portal's own adversarial paths (/hostile/, /bombs/)
    article_ids = 9000      # ids of the extra list entries in the API answer

    # -- what a subclass adds
    def listed(self) -> list[dict]:
        """The extra list entries ({"title", "url"}) beside the ordinary reports."""
        return []

    def findings(self) -> dict:
        """What `own_manifest()` adds for the test (the ground truth of the extra entries)."""
        return {}

    # -- catalogue
    def detail_path(self, e: Entry) -> str:
        return f"/gkmlpt/content/{e.num // 1000000}/{e.num // 1000}/post_{e.num}.html"

    def att_href(self, e, kind, filename, index):
        ext = filename.rsplit(".", 1)[-1].lower()
        return f"/attachment/0/{digits(6, e.num, kind, index)}.{ext}"

    def columns(self):
        return [{"id": self.id, "name": self.name, "url": f"/gkmlpt/index#{self.classify}", "render": "static"}]

    def list_pages(self, edition):
        host = self.hosts[0]
        return {self.id: [(host, "/gkmlpt/index"), (host, f"/gkmlpt/api/all/{self.classify}?page=1&sid={self.sid}")]}

    # -- opt-in only through the portal's module
    def sources(self, blocked: bool = False) -> list[dict]:
        return []

    def manifest_part(self) -> dict:
        return {"portals": [], "reports": [], "noise": [], "blocked": [], "broken": [], "list_pages": {}}

    def own_sources(self) -> list[dict]:
        return [dict(s, expect=self.expect) for s in super().sources()]

    def own_manifest(self) -> dict:
        return {**super().manifest_part(), **self.findings()}

    # -- pages
    def frame(self, title: str, head: str, main: str) -> str:
        return page(title, head, f'<div class="header"><a href="/">{self.site}</a></div>' + main
                    + FOOTER.format(site=self.site, idcode=self.idcode))

    def head(self, title: str | None = None, url: str = "", published=None, source: str | None = None) -> str:
        if title is None:
            return metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报")
        return metas(self.site, self.domain, self.idcode, column="政府信息公开年报", coltype="政府信息公开年报",
                     title=title, pubdate=fmt_dt(published), source=source or self.site, url=url)

    def shell(self) -> str:
        main = (f'<div id="gkmlpt-list" data-sid="{self.sid}" data-classify="{self.classify}"></div>'
                '<script src="/gkmlpt/static/js/app.js"></script>')
        return self.frame("政府信息公开目录", self.head(), main)

    def published(self):
        return self.live()[0].published

    def api(self, req: Req) -> Resp:
        if req.query.get("sid") != self.sid or int(req.query.get("page") or 1) != 1:
            return json_resp({"classify": None, "total": 0, "offset": 0, "articles": []})
        arts = [{"id": e.num, "title": self.title(e), "url": self.base() + self.detail_path(e),
                 "create_time": int(e.published.timestamp())} for e in self.live()]
        ts = int(self.published().timestamp())
        arts += [{"id": self.article_ids + i, "title": x["title"], "url": x["url"], "create_time": ts}
                 for i, x in enumerate(self.listed())]
        return json_resp({"classify": {"id": self.classify, "name": "政府信息公开年报"}, "total": len(arts),
                          "offset": 0, "articles": arts})

    def article(self, req: Req, title: str, published, body: str, source: str | None = None) -> str:
        main = (f'<h1 class="title">{esc(title)}</h1><div class="date">{fmt_date(published)}</div>'
                f'<div class="article-content">{body}</div>')
        return self.frame(title, self.head(title, req.url_base + req.path, published, source), main)

    def detail(self, req: Req, e: Entry) -> str:
        return self.article(req, self.title(e), e.published, self.body(e), e.agency)

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p == "/robots.txt":
            return fixtures.robots("permissive")
        if p in ("/", "/gkmlpt/index"):
            return html_resp(self.shell())
        if p == "/gkmlpt/static/js/app.js":
            return Resp(body="/* gkmlpt app */", ctype="application/javascript")
        if p == f"/gkmlpt/api/all/{self.classify}":
            return self.api(req)
        if p == f"{self.prefix}loop-a.html":      # a redirect loop A → B → A
            return redirect(f"{self.prefix}loop-b.html")
        if p == f"{self.prefix}loop-b.html":
            return redirect(f"{self.prefix}loop-a.html")
        e = self.entry_at(p)
        if e is not None:
            return html_resp(self.detail(req, e), last_modified=e.modified(self.edition))
        if p.startswith("/attachment/"):
            return self.serve_file(p)
        return None
