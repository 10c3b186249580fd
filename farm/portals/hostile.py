"""A hostile portal (opt-in, for crawler/scope.py): a gkmlpt-style 年报 column whose JSON list
mixes a few ordinary reports with entries that try to make the crawler fetch what it must not —
a report link that 302-redirects to another port on 127.0.0.1, the same under `localhost`, an
attachment linked as http://127.0.0.1:<port>/secret.pdf, `file:///etc/hostname`,
`ftp://127.0.0.1/x.pdf`, a `data:text/html,…` page, a redirect to http://example.com and a
redirect loop.

Beside it, a hostile TRS column (`/xxgk/nb/`, source `farm-hostile-trs`, taken from
`trs_sources(farm)`): its pager says `var countPage = 100000000`, the same three reports sit on
index.html and index_1.html, and every index_k beyond answers page 1 again (a column that ignores
the page), so only the crawler's page cap ends the list.

Not listed by `Farm.sources()` / `Farm.manifest()` even with `variants=True` (so no other crawl
meets it): a test takes `sources(farm)` and `manifest(farm)` from this module. The "secret"
service defaults to the farm's own port (which answers an unknown Host with 404); a test starts
its own server and sets `portal_of(farm).secret_port` to see whether anything reached it.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from farm.portals.base import (
    Entry,
    Req,
    Resp,
    esc,
    fmt_date,
    html_resp,
    json_resp,
    redirect,
)
from farm.portals.catalog import Plan
from farm.portals.common import Portal
from farm.portals.optin import OptInColumn

HOST = "www.hostile-county.gov.cn.test"
TRS_COL = "/xxgk/nb/"
TRS_PAGES = 100000000     # what the pager claims
SID, CLASSIFY = "990001", 2611
PLACE = "险山县"

PLAN = Plan(
    portal="farm-hostile", place=PLACE, years=(2023,), units=("gov", "d0", "d1"),
    specials=({"unit": "d1", "year": 2023, "layout": "word", "attachment": "pdf"},),
    noise=0, seed=97, id_base=9700000)


def _title(unit: str) -> str:
    return f"{PLACE}{unit}2023年政府信息公开工作年度报告"


class HostilePortal(OptInColumn):
    id = "farm-hostile"
    name = "险山县人民政府 政府信息公开年报（恶意门户）"
    platform = "gkmlpt"
    hosts = (HOST,)
    region = PLACE
    site = "险山县人民政府"
    idcode = "9999990001"
    sid, classify, expect, domain, prefix = SID, CLASSIFY, "hostile", "www.hostile-county.gov.cn", "/hostile/"

    def __init__(self, farm):
        super().__init__(farm, PLAN)
        self.secret_port = farm.port

    # -- the hostile entries: (key, list URL, what the crawler must do with it)
    def hostile(self) -> list[dict]:
        base, secret = self.base(), f"127.0.0.1:{self.secret_port}"
        page_data = "<html><head><title>年度报告</title></head><body>" + _title("数据局") + "</body></html>"
        return [
            {"key": "local-redirect", "url": f"{base}/hostile/jump-local.html", "title": _title("财政局"),
             "to": f"http://{secret}/secret.html"},
            {"key": "localhost-redirect", "url": f"{base}/hostile/jump-localhost.html", "title": _title("审计局"),
             "to": f"http://localhost:{self.secret_port}/secret.html"},
            {"key": "away-redirect", "url": f"{base}/hostile/jump-away.html", "title": _title("商务局"),
             "to": "http://example.com/"},
            {"key": "loop", "url": f"{base}/hostile/loop-a.html", "title": _title("信访局")},
            {"key": "local-link", "url": f"http://{secret}/listed.html", "title": _title("统计局")},
            {"key": "file", "url": "file:///etc/hostname", "title": _title("民政局")},
            {"key": "ftp", "url": "ftp://127.0.0.1/x.pdf", "title": _title("水利局")},
            {"key": "data", "url": "data:text/html," + quote(page_data), "title": _title("数据局")},
        ]

    def secret_attachment(self) -> str:
        return f"http://127.0.0.1:{self.secret_port}/secret.pdf"

    # -- the hostile TRS column
    def trs_path(self, e: Entry) -> str:
        return f"{TRS_COL}{e.published:%Y%m}/t{e.published:%Y%m%d}_{e.num}.html"

    def trs_list(self, k: int) -> str:
        live = self.live()
        items = live[:2] if k == 0 else live[2:]
        lis = "".join(f'<li><a href="./{self.trs_path(e)[len(TRS_COL):]}" title="{esc(self.title(e))}">'
                      f'{esc(self.title(e))}</a><span>{fmt_date(e.published)}</span></li>' for e in items)
        main = (f'<ul class="list">{lis}</ul><div class="page"><script>var currentPage = {k};'
                f' var countPage = {TRS_PAGES};\ncreatePageHTML(countPage, currentPage, "index", "html");'
                '</script></div>')
        return self.frame("政府信息公开年报", self.head(), main)

    def trs_sources(self) -> list[dict]:
        return [{"id": f"{self.id}-trs", "name": "险山县人民政府 政府信息公开年报（页数失实）",
                 "url": self.base() + TRS_COL + "index.html", "platform": "trs", "render": "static",
                 "region": self.region, "level": self.level, "expect": "hostile"}]

    def trs_reports(self) -> list[str]:
        return [self.base() + self.trs_path(e) for e in self.live()]

    def trs_page(self, p: str) -> Resp | None:
        if p in (TRS_COL, TRS_COL + "index.html"):
            return html_resp(self.trs_list(0))
        if re.fullmatch(re.escape(TRS_COL) + r"index_\d+\.html", p):
            k = int(p.rsplit("_", 1)[1].split(".")[0])
            return html_resp(self.trs_list(1 if k == 1 else 0))   # beyond the real pages: page 1 again
        m = re.fullmatch(re.escape(TRS_COL) + r"\d{6}/t\d{8}_(\d+)\.html", p)
        e = next((e for e in self.live() if m and e.num == int(m.group(1))), None)
        return None if e is None else e

    def listed(self) -> list[dict]:
        return self.hostile()

    def findings(self) -> dict:
        return {"hostile": self.hostile(), "secret_attachment": self.secret_attachment()}

    def detail(self, req: Req, e: Entry) -> str:
        body = self.body(e)
        if e is self.live()[0]:   # the newest report also links a "secret" file on the crawler's machine
            body += f'<p>附件：<a href="{self.secret_attachment()}">secret.pdf</a></p>'
        return self.article(req, self.title(e), e.published, body, e.agency)

    def handle(self, req: Req) -> Resp | None:
        p = req.path
        if p.startswith(TRS_COL):
            hit = self.trs_page(p)
            if isinstance(hit, Entry):
                return html_resp(self.detail(req, hit), last_modified=hit.modified(self.edition))
            return hit
        for h in self.hostile():
            if "to" in h and h["url"].endswith(p):
                return redirect(h["to"])
        return super().handle(req)


def portal_of(farm) -> HostilePortal:
    return farm.by_host[HOST]


def sources(farm) -> list[dict]:
    return portal_of(farm).own_sources()


def manifest(farm) -> dict:
    return portal_of(farm).own_manifest()


def trs_sources(farm) -> list[dict]:
    """The hostile TRS column (`countPage = 100000000`) as a registry source."""
    return portal_of(farm).trs_sources()


def trs_reports(farm) -> list[str]:
    """The report URLs the hostile TRS column really lists."""
    return portal_of(farm).trs_reports()


# ------------------------------------------------------------------ a look-alike of another portal's report
LOOKALIKE_HOST = "www.lookalike-county.gov.cn.test"
LOOKALIKE_PATH = "/gkmlpt/content/lookalike.html"


class LookalikePortal(HostilePortal):
    """Another site of the victim's region (the same gkmlpt column as above, without the scope
    traps) that lists, besides its own reports, one page titled exactly like a report of another
    portal but carrying other numbers. Not built by the farm: `add_lookalike` serves it."""
    id = "farm-lookalike"
    name = "仿冒站 政府信息公开年报"
    hosts = (LOOKALIKE_HOST,)

    def __init__(self, farm, title: str, region: str):
        super().__init__(farm)
        self.lookalike_title, self.region = title, region

    def hostile(self) -> list[dict]:
        return []

    def lookalike_url(self) -> str:
        return self.base() + LOOKALIKE_PATH

    def api(self, req: Req) -> Resp:
        resp = super().api(req)
        data = json.loads(resp.data())
        if data["articles"]:
            data["articles"].append({"id": 9999, "title": self.lookalike_title, "url": self.lookalike_url(),
                                     "create_time": data["articles"][0]["create_time"]})
            data["total"] = len(data["articles"])
        return json_resp(data)

    def handle(self, req: Req) -> Resp | None:
        if req.path != LOOKALIKE_PATH:
            return super().handle(req)
        e = self.live()[0]   # a full report of this site, under the copied title
        t = self.lookalike_title
        main = (f'<h1 class="title">{esc(t)}</h1><div class="date">{fmt_date(e.published)}</div>'
                f'<div class="article-content">{self.body(e)}</div>')
        return html_resp(self.frame(t, self.head(), main))


def add_lookalike(farm, title: str, region: str) -> list[dict]:
    """Serve a LookalikePortal copying `title` on `farm`; returns its sources (region `region`)."""
    portal = LookalikePortal(farm, title, region)
    farm.by_host[LOOKALIKE_HOST] = portal
    return [dict(s, expect="lookalike") for s in Portal.sources(portal)]
