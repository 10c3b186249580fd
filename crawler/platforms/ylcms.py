"""Fujian ylcms (docs/adapters.md): `<meta name="siteIdMeta">`; page N ≥ 2 is
`/cms/sitemanage/index.shtml?siteId=<id>&page=N`, the count = max N among pager links on page 1 (a
hint: the list's expected size is read from it too)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler import meta as M
from crawler.platforms.base import ListTotal, Platform, anchor_entry, text_of

_ITEM = re.compile(r"/cms/html/[^/]+/\d{4}-\d{2}-\d{2}/\d+\.html|/cms/infopublic/publicInfo\.shtml\?id=", re.I)


class Ylcms(Platform):
    name = "ylcms"

    def matches(self, response) -> bool:
        t = text_of(response)
        return "siteIdMeta" in t or "/cms/sitemanage/" in t or "/cms/infopublic/" in t

    def parse_list(self, response, source):
        for a in response.css("a[href]"):
            e = anchor_entry(a, response.url)
            if e and _ITEM.search(e.url):
                yield e
        text = text_of(response)
        site = response.css("meta[name=siteIdMeta]::attr(content)").get()
        last, template = 0, None
        for href in response.css("a::attr(href)").getall():
            m = re.search(r"[?&]page=(\d+)", href)
            if m and ("sitemanage" in href or "infopublic/index" in href):
                last = max(last, int(m.group(1)))
                template = template or href
        if not template and site:
            template = f"/cms/sitemanage/index.shtml?siteId={site}&page=1"
        m = re.search(r"(?:totalPage|pageCount|countPage)\s*[:=]\s*['\"]?(\d+)", text)
        if m:
            last = max(last, int(m.group(1)))
        here = re.search(r"[?&]page=(\d+)", response.url)
        if last:
            yield ListTotal(pages=last, page=int(here.group(1)) if here else 1)
        if response.meta.get(M.IS_FOLLOWUP) or not template:
            return
        for k in range(2, last + 1):   # lazy: the spider stops at the page cap
            url = re.sub(r"([?&]page=)\d+", lambda mm: f"{mm.group(1)}{k}", urljoin(response.url, template))
            yield self.request(url, response)
