"""Shared plumbing of the mock portals: request/response objects, catalogue entries, HTML helpers.

A portal is a plain object with `hosts` and `handle(req) -> Resp | None`; the server (farm/server.py)
routes by Host header, applies the farm-wide switches and answers conditional requests.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import parse_qsl

SUFFIX = ".gov.cn.test"


# ------------------------------------------------------------------ HTTP objects
@dataclass
class Req:
    method: str
    host: str                      # lower-case, port stripped
    path: str                      # without query
    query: dict[str, str]
    headers: dict[str, str]        # lower-case names
    body: bytes = b""
    raw_query: str = ""
    port: int = 0
    client: str = "127.0.0.1"

    @property
    def cookies(self) -> dict[str, str]:
        out = {}
        for part in self.headers.get("cookie", "").split(";"):
            if "=" in part:
                k, v = part.split("=", 1)
                out[k.strip()] = v.strip()
        return out

    def form(self) -> dict[str, str]:
        """Form fields from an urlencoded or JSON body (JSON values are stringified)."""
        if not self.body:
            return {}
        text = self.body.decode("utf-8", "replace")
        if "json" in self.headers.get("content-type", "") or text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
                return {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()}
            except (ValueError, AttributeError):
                return {}
        return dict(parse_qsl(text, keep_blank_values=True))

    def params(self) -> dict[str, str]:
        """Query and form merged (Hanweb accepts both)."""
        return {**self.query, **self.form()}

    @property
    def url_base(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Resp:
    status: int = 200
    body: bytes | str = b""
    ctype: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    last_modified: datetime | None = None   # set → ETag/Last-Modified + 304 handling
    drop: bool = False                      # close the connection without answering
    reset: bool = False                     # with drop: abort with a TCP RST (connection reset by peer)

    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def html_resp(text: str, status: int = 200, **kw) -> Resp:
    return Resp(status=status, body=text, **kw)


def json_resp(obj, status: int = 200, **kw) -> Resp:
    return Resp(status=status, body=json.dumps(obj, ensure_ascii=False), ctype="application/json;charset=UTF-8", **kw)


def redirect(location: str, status: int = 302) -> Resp:
    return Resp(status=status, body="", headers=[("Location", location)])


def not_found(text: str = "404 Not Found") -> Resp:
    return html_resp(f"<!DOCTYPE html><html><head><title>404</title></head><body><h1>{text}</h1>"
                     "<p>The requested URL was not found on this server.</p></body></html>", 404)


# ------------------------------------------------------------------ catalogue entries
@dataclass
class Entry:
    """One item of a 年报 column: a report (body from the generator) or a noise item."""
    portal: str
    key: str
    kind: str                       # "report" | "noise"
    published: datetime
    num: int                        # article id, increasing with time
    agency: str = ""
    report_year: int | None = None
    spec: object = None             # farm.reports.ReportSpec for reports
    noise_title: str = ""
    unit_type: str = ""             # gov | office | dept | town
    added: bool = False             # visible from edition 1 on
    deleted: bool = False           # visible only in edition 0
    edited: bool = False            # body changes in edition 1
    late: bool = False
    hidden: bool = False            # withheld by a farm switch (Farm.set_withheld / set_empty_column)
    x: dict = field(default_factory=dict)   # portal-specific (paths, flags)
    _cache: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def visible(self, edition: int) -> bool:
        if self.hidden:
            return False
        if self.added and edition < 1:
            return False
        if self.deleted and edition >= 1:
            return False
        return True

    def gen(self, edition: int = 0):
        """Generated report (cached); the edited entry gets a different body in edition 1."""
        ed = 1 if (self.edited and edition >= 1) else 0
        with self._lock:
            if ed not in self._cache:
                from farm.cache import generate_cached  # lazy: generation is only paid when asked
                spec = self.spec if ed == 0 else replace(self.spec, seed=self.spec.seed + 1000)
                self._cache[ed] = generate_cached(spec)
            return self._cache[ed]

    def title(self, edition: int = 0) -> str:
        return self.noise_title if self.kind == "noise" else self.gen(edition).title

    def modified(self, edition: int) -> datetime:
        if self.edited and edition >= 1:
            return self.x.get("edited_at", self.published.replace(month=min(self.published.month + 3, 12)))
        return self.published


# ------------------------------------------------------------------ HTML helpers
esc = html.escape


def metas(site: str, domain: str, idcode: str, column: str | None = None, coltype: str | None = None,
          title: str | None = None, pubdate: str | None = None, source: str | None = None,
          url: str | None = None, description: str = "", reversed_attrs: bool = False, extra: str = "") -> str:
    """The national web-page meta tags (docs/adapters.md)."""
    pairs = [("SiteName", site), ("SiteDomain", domain), ("SiteIDCode", idcode)]
    if column is not None:
        pairs += [("ColumnName", column), ("ColumnDescription", column) if title is None else ("ColumnType", coltype or column)]
        if title is None:
            pairs += [("ColumnKeywords", f"{site}，信息公开"), ("ColumnType", coltype or column)]
    if title is not None:
        pairs += [("ArticleTitle", title), ("PubDate", pubdate or ""), ("ContentSource", source or ""),
                  ("Keywords", "政府信息公开;年度报告"), ("Author", ""), ("Description", description[:120]),
                  ("Image", ""), ("Url", url or "")]
    out = []
    for k, v in pairs:
        if reversed_attrs:
            out.append(f'<meta content="{esc(v)}" name="{k}" />')
        else:
            out.append(f'<meta name="{k}" content="{esc(v)}">')
    return "\n".join(out) + ("\n" + extra if extra else "")


def page(title: str, head: str, body: str, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
            f"<title>{esc(title)}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n")


READING_AIDS = ('<div class="toolbar"><a href="javascript:void(0)" onclick="aria.start()">无障碍</a> '
                '<a href="javascript:void(0)" onclick="aria.start()">进入老年模式</a> '
                '<a href="javascript:zh_tran(\'t\')" class="zh_click" id="zh_click_t">繁體</a></div>')

FOOTER = '<div class="footer">主办单位：{site} 网站标识码：{idcode} ICP备案号：京ICP备00000000号</div>'

PLACEHOLDER = re.compile(r"\{\{(ATTACH|IMAGE|IMG):([^}]+)\}\}")


def fill_placeholders(body_html: str, url_for) -> str:
    """Replace the generator's {{ATTACH:name}} / {{IMAGE:name}} by the portal's own URL shape."""
    return PLACEHOLDER.sub(lambda m: url_for(m.group(1), m.group(2).strip()), body_html)


def hexname(*parts) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


def digits(n: int, *parts) -> str:
    h = int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest(), 16)
    return str(h % (10 ** n)).zfill(n)


def fmt_date(d: datetime) -> str:
    return d.strftime("%Y-%m-%d")


def fmt_dt(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M")
