"""Hunan (docs/adapters.md): province/department lists loaded by POST from
`api.<domain>/search/common/search/<channelId>` (Origin/Referer = the site), and numeric-path
county portals whose page count is only in an inline `… else if(num>N)` script (`index_N.htm`)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode, urljoin, urlparse

from crawler import meta as M
from crawler.platforms.base import ListEntry, ListTotal, Platform, anchor_entry, norm_date, text_of

_CHANNEL = re.compile(r"var\s+channelId\s*=\s*['\"]\s*(\d+)\s*['\"]")
_API_HOST = re.compile(r"['\"/](api\.[\w.-]+?)(?::\d+)?['\"/]")
_NUM = re.compile(r"num\s*>\s*(\d+)")
PAGE_SIZE = 20


def search_form(page: int) -> dict:
    return {"datas[0][key]": "status", "datas[0][value]": "4", "datas[0][join]": "and",
            "datas[0][queryType]": "term", "datas[1][key]": "publishedTime", "datas[1][sort]": "true",
            "datas[1][order]": "desc", "datas[1][queryType]": "term", "page": str(page),
            "_pageSize": str(PAGE_SIZE), "_isAgg": "true"}


class Hunan(Platform):
    name = "hunan"

    def matches(self, response) -> bool:
        t = text_of(response)
        return bool(_CHANNEL.search(t) or (re.search(r"/\d{4,6}/\d{4,6}/", response.url) and _NUM.search(t)))

    def api_url(self, response, text: str, channel: str) -> str:
        u = urlparse(response.url)
        host = None
        for script in response.css("script::attr(src)").getall() + [text]:
            m = _API_HOST.search(script)
            if m:
                host = m.group(1)
                break
        if not host:
            host = "api." + u.hostname.split(".", 1)[1]
        port = f":{u.port}" if u.port else ""
        return f"{u.scheme}://{host}{port}/search/common/search/{channel}"

    def api_request(self, response, api, page, previous=None):
        ref = response.meta.get(M.LIST_REFERER) or response.url
        origin = "{0.scheme}://{0.netloc}".format(urlparse(ref))
        return self.request(api, response, method="POST", body=urlencode(search_form(page)),
                            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                                     "Origin": origin, "X-Requested-With": "XMLHttpRequest"},
                            meta={M.HUNAN: "api", M.PAGE: page, M.API: api, M.LIST_REFERER: ref,
                                  M.PREVIOUS_PAGE: previous})

    def parse_list(self, response, source):
        if response.meta.get(M.HUNAN) == "api":
            yield from self.parse_api(response)
            return
        text = text_of(response)
        ch = _CHANNEL.search(text)
        if ch:
            yield self.api_request(response, self.api_url(response, text, ch.group(1)), 1)
            return
        for a in response.css("a[href]"):
            e = anchor_entry(a, response.url)
            if e and re.search(r"/content_\d+\.s?html?$|/t\d{8}_\d+\.s?html?$|/\d{6}/[0-9a-f]{32}\.s?html?$",
                               e.url):
                yield e
        m = max((int(x) for x in _NUM.findall(text)), default=0)
        path = urlparse(response.url).path
        here = re.search(r"_(\d+)\.s?html?$", path)
        if m:
            yield ListTotal(pages=m, page=int(here.group(1)) if here else 1)
        if response.meta.get(M.IS_FOLLOWUP):
            return
        stem = "default" if path.endswith("default.htm") else "index"
        for k in range(2, m + 1):   # lazy: the spider stops at the page cap
            yield self.request(urljoin(response.url, f"{stem}_{k}.htm"), response)

    def parse_api(self, response):
        try:
            data = json.loads(text_of(response))
        except ValueError:
            return
        body = (data or {}).get("data") or {}
        results = body.get("results") or []
        ref = response.meta[M.LIST_REFERER]
        found = [ListEntry(urljoin(ref, r["url"]).split("#")[0], r.get("title"), norm_date(r.get("publishedTimeStr")))
                 for r in results if r.get("url")]
        yield from found
        if str(body.get("total", "")).isdigit():
            yield ListTotal(items=int(body["total"]))
        urls = sorted({e.url for e in found})
        if found and urls != response.meta.get(M.PREVIOUS_PAGE):   # an empty or repeated page ends the walk
            yield self.api_request(response, response.meta[M.API], response.meta[M.PAGE] + 1, urls)
