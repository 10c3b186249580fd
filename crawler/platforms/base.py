"""What a platform adapter is: recognise a CMS family's list pages and walk them.

An adapter only finds list items and further list pages (or API calls); it never parses report
content. Requests it yields for further pages carry `meta["adapter"]` so their answers (XML, JSON,
JSONP fragments that carry no fingerprint) come back to the same adapter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urljoin, urlparse

import scrapy
from parsel import Selector

from crawler import meta as M

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年—–]\s*(\d{1,2})\s*[-/.月—–]\s*(\d{1,2})")
_SKIP_HREF = re.compile(r"^\s*(javascript:|mailto:|tel:|#)", re.I)
# Reading aids and language switches are navigation, never items (docs/adapters.md).
_NAV_TEXT = re.compile(r"^(繁體|繁体|简体|English|无障碍|長者|长者|老年模式|进入老年模式|阅读辅助|首页|上一页|下一页|尾页|末页)$")


@dataclass
class ListEntry:
    url: str
    title: str | None = None
    date: str | None = None


@dataclass
class ListTotal:
    """What a list page prints about its whole list (共N条, 共N页, a JSON `total`, the pager call's
    page count): a hint for the expected-vs-found figures (crawler/runstate.py), never a plan of
    requests. `page` is the 1-based number of the page that printed it, when the adapter knows it."""
    items: int | None = None
    pages: int | None = None
    page: int | None = None


def norm_date(text: str | None) -> str | None:
    m = _DATE.search(text or "")
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y}-{mo:02d}-{d:02d}"


def clean(text: str | None) -> str:
    return re.sub(r"[\s\u3000\xa0]+", " ", text or "").strip()


def anchor_entry(a, base_url: str) -> ListEntry | None:
    """A list item from an anchor selector: the title attribute beats truncated anchor text, the
    date comes from the anchor's row (li/tr/dd), then from the URL."""
    href = (a.attrib.get("href") or "").strip()
    if not href or _SKIP_HREF.match(href):
        return None
    url = urljoin(base_url, href)
    if urlparse(url).scheme not in ("http", "https"):
        return None
    texts = [t for t in a.xpath(".//text()[not(ancestor::span) and not(ancestor::small) and "
                                "not(ancestor::i)]").getall()]
    text = clean(" ".join(texts)) or clean(" ".join(a.xpath(".//text()").getall()))
    title = clean(a.attrib.get("title")) or text
    if not title or _NAV_TEXT.match(title):
        return None
    row = " ".join(a.xpath("ancestor-or-self::*[self::li or self::tr or self::dd][1]//text()").getall())
    date = norm_date(row) or norm_date(" ".join(a.xpath(".//text()").getall())) or url_date(url)
    return ListEntry(url.split("#")[0], title, date)


def url_date(url: str) -> str | None:
    m = re.search(r"/art/(\d{4})/(\d{1,2})/(\d{1,2})/|/t(\d{4})(\d{2})(\d{2})_|/(\d{4})-(\d{2})-(\d{2})/", url)
    if not m:
        return None
    g = [x for x in m.groups() if x]
    return f"{int(g[0])}-{int(g[1]):02d}-{int(g[2]):02d}"


def entries_in(html: str, base_url: str, css: str = "a[href]") -> list[ListEntry]:
    sel = Selector(text=html or "<html></html>")
    out = []
    for a in sel.css(css):
        e = anchor_entry(a, base_url)
        if e:
            out.append(e)
    return out


class Platform:
    name = "base"

    def matches(self, response) -> bool:
        """Fingerprint: is this list page built by this CMS family?"""
        raise NotImplementedError

    def parse_list(self, response, source) -> Iterable[ListEntry | ListTotal | scrapy.Request]:
        """List entries on this page, what the page prints about the list's size, and requests for
        the other pages of the list — in that order, requests last and produced lazily: the spider
        stops reading at the page cap (NIANBAO_MAX_LIST_PAGES) and the item cap."""
        raise NotImplementedError

    def is_list_page(self, response) -> bool | None:
        """Does this page, reached as a report's detail page, carry this CMS's list machinery
        (then it is a sub-column, read as a list)? None when the adapter cannot tell."""
        return None

    def request(self, url: str, response, **kw) -> scrapy.Request:
        """A further list request handled by this adapter, with the list page as Referer."""
        meta = dict(kw.pop("meta", {}) or {})
        meta[M.ADAPTER] = self.name
        headers = {"Referer": meta.get(M.LIST_REFERER) or response.url, **(kw.pop("headers", {}) or {})}
        meta.setdefault(M.LIST_REFERER, meta.get(M.LIST_REFERER) or response.url)
        return scrapy.Request(url, meta=meta, headers=headers, **kw)


_ARTICLE_TITLE = re.compile(rb"name=['\"]ArticleTitle['\"]")


def fingerprinted_list(response, pattern: bytes) -> bool | None:
    """For Platform.is_list_page: None when the page's first 200 kB lack the CMS's list
    `pattern`; else whether it is a list (an article page, with an `ArticleTitle` meta, can carry
    the same script)."""
    if not re.search(pattern, response.body[:200000]):
        return None
    return not _ARTICLE_TITLE.search(response.body)


def text_of(response) -> str:
    try:
        return response.text
    except AttributeError:  # binary answer
        return response.body.decode("utf-8", "replace")
