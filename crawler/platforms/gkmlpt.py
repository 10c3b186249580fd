"""Guangdong gkmlpt (docs/adapters.md): the directory is a JS app; the list is the JSON API
`/gkmlpt/api/all/<classify>?page=N&sid=<sid>` (100 per page, `total`). The same sites' static
columns number pages 1-based (`index_2.html`) with rows `div.viewList li span.name a`.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from urllib.parse import urlencode, urljoin, urlparse

from crawler import meta as M
from crawler.platforms.base import ListEntry, ListTotal, Platform, anchor_entry, text_of

PAGE_SIZE = 100


def _ymd(ts) -> str | None:
    try:
        return datetime.fromtimestamp(int(ts), tz=timezone(__import__("datetime").timedelta(hours=8))).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OSError):
        return None


class Gkmlpt(Platform):
    name = "gkmlpt"

    def matches(self, response) -> bool:
        t = text_of(response)
        return "/gkmlpt/" in response.url or "gkmlpt" in t[:50000] or "nfw-cms-attachment" in t

    def parse_list(self, response, source):
        if response.meta.get(M.GKMLPT) == "api":
            yield from self.parse_api(response)
            return
        if "/gkmlpt/api/" in response.url:
            yield from self.parse_api(response, first=True)
            return
        text = text_of(response)
        box = response.css("[data-sid]")
        sid = box.attrib.get("data-sid") if box else None
        if not sid:
            m = re.search(r"[?&]sid=(\d+)|\bsid\s*[:=]\s*['\"]?(\d+)", text)
            sid = (m.group(1) or m.group(2)) if m else None
        classify = urlparse(source.url).fragment or (box.attrib.get("data-classify") if box else None)
        if not classify:
            for a in response.css("a[href*='#']"):
                if re.search(r"年报|年度报告", " ".join(a.css("::text").getall())):
                    classify = a.attrib["href"].rsplit("#", 1)[-1]
                    break
        if sid and classify:
            yield self.api_request(response, classify, sid, 1, first=True)
            return
        # static 集约化 column: rows + 1-based pages
        for a in response.css("div.viewList li a, ul li span.name a, a[href*='post_']"):
            e = anchor_entry(a, response.url)
            if e and "post_" in e.url:
                yield e
        here = re.search(r"index_(\d+)\.s?html?$", response.url)
        last = 0
        for a in response.css("a[href]"):
            m = re.search(r"index_(\d+)\.s?html?$", a.attrib.get("href", ""))
            if m:
                last = max(last, int(m.group(1)))
        m = re.search(r"(?:countPage|totalPage|pageCount)\s*[:=]\s*['\"]?(\d+)", text)
        if m:
            last = max(last, int(m.group(1)))
        if last:
            yield ListTotal(pages=last, page=int(here.group(1)) if here else 1)
        if not response.meta.get(M.IS_FOLLOWUP):
            for k in range(2, last + 1):   # lazy: the spider stops at the page cap
                yield self.request(urljoin(response.url, f"index_{k}.html"), response)

    def api_request(self, response, classify, sid, page, first=False):
        base = urljoin(response.url, f"/gkmlpt/api/all/{classify}")
        return self.request(f"{base}?{urlencode({'page': page, 'sid': sid})}", response,
                            meta={M.GKMLPT: "api", M.FIRST: first, M.CLASSIFY: classify, M.SID: sid,
                                  M.LIST_REFERER: response.meta.get(M.LIST_REFERER) or response.url})

    def parse_api(self, response, first=None):
        try:
            data = json.loads(text_of(response))
        except ValueError:
            return
        for art in data.get("articles") or []:
            url = art.get("url") or art.get("post_url")
            if not url:
                continue
            if url.startswith("//"):
                url = urlparse(response.url).scheme + ":" + url
            url = urljoin(response.url, url)
            yield ListEntry(url.split("#")[0], art.get("title"),
                            _ymd(art.get("create_time") or art.get("first_publish_time")))
        meta = response.meta
        total = int(data.get("total") or 0) if str(data.get("total") or "0").isdigit() else 0
        if total:
            yield ListTotal(items=total)
        if first or meta.get(M.FIRST):
            pages = math.ceil(total / PAGE_SIZE)
            m = re.search(r"/gkmlpt/api/all/([^/?]+)", response.url)
            sid = meta.get(M.SID) or re.search(r"sid=(\d+)", response.url).group(1)
            for k in range(2, pages + 1):
                yield self.api_request(response, meta.get(M.CLASSIFY) or m.group(1), sid, k)
