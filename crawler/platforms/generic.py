"""Fallback for CMSs without an adapter: report-like links and pager links found in the page."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import scrapy

from crawler.platforms.base import ListEntry, Platform

_DATE = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_CREATE_PAGE = re.compile(r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]")
_COUNT_PAGE = re.compile(r"countPage\s*=\s*(\d+)")
_SKIP = re.compile(r"^(javascript:|mailto:|#)", re.I)


def _date_near(text: str) -> str | None:
    m = _DATE.search(text or "")
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


class Generic(Platform):
    name = "generic"

    def matches(self, response) -> bool:
        return True

    def entries(self, response):
        host = urlparse(response.url).hostname
        for a in response.css("a[href]"):
            href = a.attrib.get("href", "").strip()
            if not href or _SKIP.match(href):
                continue
            url = urljoin(response.url, href)
            if urlparse(url).hostname != host:
                continue
            title = (a.attrib.get("title") or " ".join(a.css("::text").getall())).strip()
            row = " ".join(a.xpath("ancestor::li[1]//text() | ancestor::tr[1]//text()").getall())
            yield ListEntry(url, title, _date_near(row))

    def pages(self, response):
        text = response.text
        m = _CREATE_PAGE.search(text)
        count = int(m.group(1)) if m else None
        if count is None:
            c = _COUNT_PAGE.search(text)
            count = int(c.group(1)) if c else None
        if count and count > 1:
            prefix, ext = (m.group(3), m.group(4)) if m else ("index", "html")
            for i in range(1, count):  # TRS: page 2 is index_1 (0-based suffix)
                yield scrapy.Request(urljoin(response.url, f"{prefix}_{i}.{ext}"))

    def parse_list(self, response, source):
        yield from self.entries(response)
        if not response.meta.get("is_followup"):
            yield from self.pages(response)
