"""Walking a list that JavaScript draws (docs/adapters.md, "The generic path").

When a list page is rendered in Chromium, every XHR/fetch answer of the page is recorded (with its
request: method and body) and kept as a capture. Then:

1. **A list API.** An answer whose JSON holds an array of objects with a title-like and a URL-like
   field (a date and a total count optional) is the list's payload. The request that brought it is
   replayed with its page parameter advanced — found by diffing two requests of the same endpoint
   (the page's own script, or pager clicks), else by name (pageIndex, pageNo, page, curPage,
   currentPage, pageNum, start, offset…) in the query, a form body, a JSON body or a JSON string
   wrapped in a field (`params`); 0- or 1-based as the first request says. The replays are plain
   HTTP requests (`ListApi` below reads them); the walk stops at the total, an empty page or a page
   with nothing new, and at NIANBAO_MAX_LIST_PAGES.
2. **No API seen.** The pager is clicked in the browser (下一页/下页/>/›, the next number,
   `data-page-index`, `goPage(n)` / `javascript:` controls) until a click brings nothing new or the
   control is disabled; each page's DOM is kept as a capture.

The pure parts (payloads, page parameters, replays) are functions here; the browser parts are the
coroutines at the end, given a Playwright page.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse

import scrapy

from crawler import meta as M
from crawler.platforms.base import ListEntry, ListTotal, Platform, norm_date

_TITLE_KEY = re.compile(r"^(real_?title|title|name|bt|wzbt|subject|doc_?title|info_?title|article_?title|"
                        r"showtitle|titl|caption|topic|headline)$", re.I)
_URL_KEY = re.compile(r"^(url|href|link|info_?url|doc_?url|art_?url|page_?url|path|linkurl|detail_?url|"
                      r"visit_?url|wapurl|pcurl|fileurl|link_?address)$", re.I)
_DATE_KEY = re.compile(r"date|time|pubdate|publish|fbrq|rq|cwrq", re.I)
_TOTAL_KEY = re.compile(r"^(total|totalCount|total_count|totalRecord|totalRecords|recordCount|records|count|"
                        r"totalElements|totalNum|totalSize|rowCount|total_num|totalrecord|allCount)$", re.I)
_PAGES_KEY = re.compile(r"^(pages|totalPage|totalPages|pageCount|page_count|totalpage)$", re.I)
PAGE_NAMES = ("pageIndex", "pageNo", "pageNum", "page", "curPage", "currentPage", "current", "cur_page",
              "currpage", "p", "pn", "start", "offset", "startrecord", "startRow", "from")
_OFFSET_NAMES = {"start", "offset", "startrecord", "startrow", "from"}
_SIZE_NAMES = ("pageSize", "size", "rows", "limit", "perpage", "perPage", "page_size", "_pageSize", "pagesize", "num")


# ------------------------------------------------------------------ payloads
@dataclass
class Payload:
    path: tuple                 # keys/indexes from the JSON root to the array of items
    title_key: str
    url_key: str
    date_key: str | None
    items: list[dict]
    total: int | None = None
    pages: int | None = None

    def entries(self, base_url: str) -> list[ListEntry]:
        out = []
        for it in self.items:
            url, title = it.get(self.url_key), it.get(self.title_key)
            if not isinstance(url, str) or not url.strip():
                continue
            url = urljoin(base_url, url.strip())
            if urlparse(url).scheme not in ("http", "https"):
                continue
            # The whole title beats a cut one (realtitle vs title "…").
            whole = [v for k, v in it.items() if isinstance(v, str) and _TITLE_KEY.match(k) and v.strip()]
            title = max(whole, key=lambda v: (not v.rstrip().endswith(("…", "...")), len(v))) if whole else (title or "")
            title = re.sub(r"<[^>]+>", "", str(title)).strip()
            date = norm_date(str(it.get(self.date_key))) if self.date_key else None
            out.append(ListEntry(url.split("#")[0], title or None, date))
        return out


def _looks_url(v: Any) -> bool:
    return isinstance(v, str) and bool(re.match(r"^(https?://|/|\.{0,2}/?[\w\-]+/.*\.\w{2,5}(\?|$))", v.strip()))


def _item_keys(items: list) -> tuple[str, str, str | None] | None:
    dicts = [d for d in items if isinstance(d, dict)]
    if not dicts or len(dicts) < len(items) * 0.8:
        return None

    def best(pred) -> str | None:
        counts: dict[str, int] = {}
        for d in dicts:
            for k, v in d.items():
                if pred(k, v):
                    counts[k] = counts.get(k, 0) + 1
        k = max(counts, key=counts.get, default=None)
        return k if k is not None and counts[k] >= 0.6 * len(dicts) else None

    title = best(lambda k, v: _TITLE_KEY.match(k) and isinstance(v, str) and v.strip())
    url = best(lambda k, v: _URL_KEY.match(k) and _looks_url(v)) or best(lambda k, v: _looks_url(v) and ".htm" in v)
    if not title or not url:
        return None
    date = best(lambda k, v: _DATE_KEY.search(k) and (isinstance(v, (int, float)) or norm_date(str(v))))
    return title, url, date


def _number(d: dict, pattern) -> int | None:
    for k, v in d.items():
        if pattern.match(str(k)) and (isinstance(v, int) or (isinstance(v, str) and v.isdigit())):
            return int(v)
    return None


def find_payload(doc: Any) -> Payload | None:
    """The list in a JSON answer: the largest array of item objects, with the total count printed
    in an object on its path (`{"custom": {"total": 44, "data": […]}}`, `{"total": …, "articles": …}`)."""
    best: Payload | None = None

    def walk(node, path, ancestors):
        nonlocal best
        if isinstance(node, list):
            keys = _item_keys(node) if node else None
            if keys and (best is None or len(node) > len(best.items)):
                total = pages = None
                for anc in reversed(ancestors):
                    total = total if total is not None else _number(anc, _TOTAL_KEY)
                    pages = pages if pages is not None else _number(anc, _PAGES_KEY)
                best = Payload(path, *keys, node, total, pages)
            for i, x in enumerate(node[:50]):
                if isinstance(x, (dict, list)) and not keys:
                    walk(x, path + (i,), ancestors)
        elif isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, (dict, list)):
                    walk(v, path + (k,), ancestors + [node])
    walk(doc, (), [])
    return best


def empty_payload_at(doc: Any, path: tuple) -> bool:
    """Does the answer hold an empty list where the payload used to be (a page past the end)?"""
    node = doc
    try:
        for k in path:
            node = node[k]
    except (KeyError, IndexError, TypeError):
        return False
    return isinstance(node, list) and not node


def load_json(body: bytes) -> Any:
    text = body.decode("utf-8", "replace").strip().lstrip("\ufeff")
    m = re.match(r"^[\w$.]+\s*\((.*)\)\s*;?\s*$", text, re.S)   # JSONP
    if m:
        text = m.group(1)
    try:
        return json.loads(text)
    except ValueError:
        return None


# ------------------------------------------------------------------ page parameters
@dataclass
class Exchange:
    """One XHR/fetch of a rendered page: the request as sent and the answer."""
    url: str
    method: str
    request_headers: dict
    request_body: bytes
    status: int
    headers: dict
    body: bytes
    resource_type: str = "xhr"


@dataclass
class Spot:
    """Where a request carries its page number: `where` is query | form | json | wrapped (a JSON
    string in field `wrapper` of a JSON or form body); `base` is the number that means the first
    page; `step` is 1, or the page size for offsets."""
    where: str
    name: str
    value: int
    wrapper: str | None = None
    wrapper_in: str | None = None     # json | form (the outer body of a wrapped parameter)
    base: int = 1
    step: int = 1


def _params(ex_url: str, method: str, body: bytes, headers: dict) -> list[tuple[str, str | None, str | None, dict]]:
    """(where, wrapper, wrapper_in, flat parameters) of a request, every place a page number can hide."""
    out = [("query", None, None, dict(parse_qsl(urlparse(ex_url).query, keep_blank_values=True)))]
    if not body:
        return out
    text = body.decode("utf-8", "replace")
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    doc = None
    if "json" in ctype or text.lstrip()[:1] in "{[":
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
    if isinstance(doc, dict):
        out.append(("json", None, None, doc))
        for k, v in doc.items():
            if isinstance(v, str) and v.lstrip()[:1] == "{":
                try:
                    inner = json.loads(v)
                except ValueError:
                    continue
                if isinstance(inner, dict):
                    out.append(("wrapped", k, "json", inner))
    elif "=" in text:
        form = dict(parse_qsl(text, keep_blank_values=True))
        out.append(("form", None, None, form))
        for k, v in form.items():
            if v.lstrip()[:1] == "{":
                try:
                    inner = json.loads(v)
                except ValueError:
                    continue
                if isinstance(inner, dict):
                    out.append(("wrapped", k, "form", inner))
    return out


def _int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def page_spot(ex: Exchange, payload: Payload | None = None, other: Exchange | None = None) -> Spot | None:
    """The page parameter of `ex`: the one numeric parameter that differs from `other` (a second
    request of the same endpoint), else a known name. `payload` gives the page size for offsets."""
    mine = _params(ex.url, ex.method, ex.request_body, ex.request_headers)
    if other is not None:
        theirs = {(w, wr): p for w, wr, _, p in _params(other.url, other.method, other.request_body,
                                                        other.request_headers)}
        for where, wrapper, wrapper_in, p in mine:
            q = theirs.get((where, wrapper)) or {}
            diff = [k for k in p if k in q and p[k] != q[k] and _int(p[k]) is not None and _int(q[k]) is not None]
            if len(diff) == 1:
                return _spot(where, wrapper, wrapper_in, diff[0], p, payload)
    for name in PAGE_NAMES:
        for where, wrapper, wrapper_in, p in mine:
            key = next((k for k in p if k.lower() == name.lower()), None)
            if key is not None and _int(p[key]) is not None:
                return _spot(where, wrapper, wrapper_in, key, p, payload)
    return None


def _spot(where, wrapper, wrapper_in, key, p, payload) -> Spot:
    value = _int(p[key])
    if key.lower() in _OFFSET_NAMES:
        size = next((_int(p[k]) for k in p if k in _SIZE_NAMES and _int(p[k])), None)
        size = size or (len(payload.items) if payload and payload.items else 10)
        return Spot(where, key, value, wrapper, wrapper_in, base=value if value in (0, 1) else 0, step=size)
    return Spot(where, key, value, wrapper, wrapper_in, base=value if value in (0, 1) else 1)


def replay(ex: Exchange, spot: Spot, k: int) -> tuple[str, str, bytes]:
    """(url, method, body) of `ex` asking for page k (1-based)."""
    n = spot.base + (k - 1) * spot.step
    url, body = ex.url, ex.request_body or b""
    if spot.where == "query":
        u = urlparse(url)
        q = parse_qsl(u.query, keep_blank_values=True)
        q = [(a, str(n) if a == spot.name else b) for a, b in q]
        return urlunparse(u._replace(query=urlencode(q))), ex.method, body
    text = body.decode("utf-8", "replace")

    def bump(d: dict) -> dict:
        d = dict(d)
        d[spot.name] = n if isinstance(d.get(spot.name), int) else str(n)
        return d
    if spot.where == "json":
        return url, ex.method, json.dumps(bump(json.loads(text)), ensure_ascii=False).encode()
    if spot.where == "form":
        return url, ex.method, urlencode(list(bump(dict(parse_qsl(text, keep_blank_values=True))).items())).encode()
    # wrapped: a JSON string inside a JSON or form body
    outer = json.loads(text) if spot.wrapper_in == "json" else dict(parse_qsl(text, keep_blank_values=True))
    outer[spot.wrapper] = json.dumps(bump(json.loads(outer[spot.wrapper])), ensure_ascii=False, separators=(",", ":"))
    if spot.wrapper_in == "json":
        return url, ex.method, json.dumps(outer, ensure_ascii=False).encode()
    return url, ex.method, urlencode(list(outer.items())).encode()


def page_of(spot: Spot) -> int:
    """The 1-based page number the request of `spot` asked for."""
    return (spot.value - spot.base) // spot.step + 1


@dataclass
class Learned:
    """A list API learned from a rendered page: the request to replay, where its page number sits,
    the payload's place, what the recorded answers already showed."""
    exchange: Exchange
    spot: Spot
    path: tuple
    total: int | None
    pages: int | None
    per_page: int
    seen_pages: dict = field(default_factory=dict)    # page number → entries
    ended: bool = False                               # a recorded answer was already empty

    def last_seen(self) -> int:
        return max(self.seen_pages, default=0)


def _endpoint(ex: Exchange) -> tuple:
    return ex.method, urlparse(ex.url)._replace(query="").geturl()


def learn(exchanges: list[Exchange], base_url: str) -> Learned | None:
    """The list API among a rendered page's XHR/fetch answers, or None."""
    found = []
    for ex in exchanges:
        if ex.status != 200:
            continue
        doc = load_json(ex.body)
        if doc is None:
            continue
        p = find_payload(doc)
        if p is not None:
            found.append((ex, p, doc))
    if not found:
        return None
    # The endpoint that brought the most items is the list (a "hot news" widget brings a few).
    by_end: dict = {}
    for ex, p, doc in found:
        by_end.setdefault(_endpoint(ex), []).append((ex, p, doc))
    group = max(by_end.values(), key=lambda g: sum(len(p.items) for _, p, _ in g))
    ex0, p0, _ = group[0]
    other = next((ex for ex, _, _ in group[1:] if ex.request_body != ex0.request_body or ex.url != ex0.url), None)
    spot = page_spot(ex0, p0, other)
    if spot is None:
        return None
    learned = Learned(ex0, spot, p0.path, p0.total, p0.pages, len(p0.items))
    for ex, p, doc in group:
        s = page_spot(ex, p, ex0 if ex is not ex0 else other)
        # Numbered from the first request's base (a 0-based list's second page says 1).
        k = (s.value - spot.base) // spot.step + 1 if s is not None and s.name == spot.name else None
        if k is not None:
            learned.seen_pages[k] = p.entries(base_url)
    # Answers of the same endpoint that came back empty: the page's own script reached the end.
    for ex in exchanges:
        if _endpoint(ex) == _endpoint(ex0) and ex.status == 200:
            doc = load_json(ex.body)
            if doc is not None and empty_payload_at(doc, p0.path):
                learned.ended = True
    return learned


# ------------------------------------------------------------------ the API walk as an adapter
class ListApi(Platform):
    """Reads the replayed pages of a list API learned in the browser (meta[API_WALK]) and asks for
    the next one: one request at a time, stopping at the total, an empty page or nothing new."""
    name = "listapi"

    def matches(self, response) -> bool:
        return False   # only its own requests come back to it (meta["adapter"])

    def parse_list(self, response, source):
        walk: dict = response.meta[API_WALK]
        doc = load_json(response.body)
        payload = find_payload(doc) if doc is not None else None
        entries = payload.entries(walk["base_url"]) if payload else []
        yield from entries
        k = walk["page"]
        total = payload.total if payload and payload.total is not None else walk.get("total")
        yield ListTotal(items=total, page=k)
        previous = set(response.meta.get(M.PREVIOUS_PAGE) or ())
        urls = {e.url for e in entries}
        if not entries or urls <= previous:
            return
        if total is not None and k * walk["per_page"] >= total:
            return
        yield request_for(walk, k + 1, response, urls)


API_WALK = "nianbao_api_walk"     # meta: the learned walk of a replayed API page


def request_for(walk: dict, k: int, response, previous: set | None = None) -> scrapy.Request:
    ex: Exchange = walk["exchange"]
    url, method, body = replay(ex, walk["spot"], k)
    headers = {h: v for h, v in ex.request_headers.items()
               if h.lower() in ("content-type", "accept", "x-requested-with", "origin")}
    meta = {API_WALK: {**walk, "page": k}, M.PREVIOUS_PAGE: sorted(previous or ()), M.ROLE: "api",
            M.LIST_REFERER: walk["base_url"]}
    return LIST_API.request(url, response, method=method, body=body or None, headers=headers, meta=meta,
                            dont_filter=True)


LIST_API = ListApi()


# ------------------------------------------------------------------ in the browser
async def record_response(store: list, response) -> None:
    """Playwright `response` event handler: keep XHR/fetch answers with their requests."""
    req = response.request
    if req.resource_type not in ("xhr", "fetch"):
        return
    try:
        body = await response.body()
    except Exception:   # noqa: BLE001 - a redirect or an aborted request has no body
        body = b""
    try:
        rh = await req.all_headers()
        h = await response.all_headers()
    except Exception:   # noqa: BLE001
        rh, h = dict(req.headers), dict(response.headers)
    store.append(Exchange(req.url, req.method, rh, req.post_data_buffer or b"", response.status, h, body,
                          req.resource_type))


# Finds the control that leads to the next page, marks it and says why; null when there is none or
# it is disabled. Runs in the page.
_NEXT_JS = r"""
(cur) => {
  const vis = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const off = (el) => /disabled|disable|unable|gray|grey/i.test(el.className || "") ||
      el.getAttribute("aria-disabled") === "true" || el.hasAttribute("disabled") ||
      (el.closest("li") && /disabled/i.test(el.closest("li").className || ""));
  const clickable = Array.from(document.querySelectorAll("a, button, span, li, input[type=button], div[onclick]"))
      .filter((el) => vis(el));
  const text = (el) => (el.innerText || el.value || "").replace(/\s+/g, "");
  const num = (el) => {
    const d = el.getAttribute("data-page-index") || el.getAttribute("data-page") || el.getAttribute("page");
    if (d && /^\d+$/.test(d)) return parseInt(d, 10);
    const oc = (el.getAttribute("onclick") || "") + " " + (el.getAttribute("href") || "");
    const m = oc.match(/(?:go|to|turn|jump|show|load|query|search)?page\w*\s*\(\s*['"]?(\d+)/i);
    return m ? parseInt(m[1], 10) : null;
  };
  const mark = (el, why) => {
    document.querySelectorAll("[data-nianbao-next]").forEach((x) => x.removeAttribute("data-nianbao-next"));
    el.setAttribute("data-nianbao-next", "1");
    return why;
  };
  for (const el of clickable) {
    if (/^(下一页|下页|下一頁|next|>|›|»|>>)$/i.test(text(el)) && el.children.length <= 1) {
      if (off(el)) return null;
      return mark(el, "next " + text(el));
    }
  }
  for (const el of clickable) {
    if (text(el) === String(cur + 1) || num(el) === cur + 1) {
      if (off(el)) return null;
      return mark(el, "number " + (cur + 1));
    }
  }
  return null;
}
"""


async def click_next(page, cur: int) -> str | None:
    """Click the control for page cur+1; returns what was clicked, None when there is none."""
    why = await page.evaluate(_NEXT_JS, cur)
    if not why:
        return None
    before = await page.evaluate(_LINKS_JS)
    await page.click("[data-nianbao-next]", timeout=5000)
    try:
        # The list is redrawn when its answer comes: wait for the links to change (networkidle is
        # already reached before the click and would not wait).
        await page.wait_for_function(f"(b) => ({_LINKS_JS})() !== b", arg=before, timeout=10000)
        await page.wait_for_load_state("networkidle", timeout=10000)
    except Exception:   # noqa: BLE001 - nothing changed, or a page that keeps polling: read what is there
        pass
    return why


_LINKS_JS = "() => Array.from(document.querySelectorAll('a[href]')).map((a) => a.href).join(' ')"
