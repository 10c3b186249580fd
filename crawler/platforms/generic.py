"""Fallback for CMSs without an adapter: report-like links, and the other pages of the list found
from pager links, inline pager scripts (`countPage`, `createPageHTML`, `totalpage`) or, failing
those, by probing `index_1` / `index_2` / `?page=2`; a probed chain stops at the first page that
brings no new links. It prints no ListTotal: it keeps only report-like titles, so a printed total
(noise included) would always look short.
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse

from crawler import meta as M
from crawler.platforms import trs
from crawler.platforms.base import Platform, anchor_entry, text_of
from nianbao import titles

_PAGER_TEXT = re.compile(r"^(\d{1,3}|下一?页|下页|尾页|末页|next|>|»|›)$", re.I)
_PAGE_HREF = re.compile(r"(?:index|default|list|list_\w+)_(\d+)\.s?html?$|[?&](?:page|pageNo|pageNum|cur_page|currpage|"
                        r"currentPage|pageIndex|p)=(\d+)|/(\d+)\.s?html?$", re.I)
_TOTAL = re.compile(r"(?:totalpage|totalPage|pageCount|countPage|page_count|totalPages)\s*[:=]\s*['\"]?(\d+)")


class Generic(Platform):
    name = "generic"

    def matches(self, response) -> bool:
        return True

    def entries(self, response):
        host = urlparse(response.url).hostname
        # <noscript> fallbacks show a few items of a list that JavaScript builds: not the list.
        for a in response.xpath("//a[@href][not(ancestor::noscript)]"):
            e = anchor_entry(a, response.url)
            if e is None or urlparse(e.url).hostname != host or e.url == response.url:
                continue
            # Only things that read like a report (or a notice about one) are items; nav is not.
            if titles._REPORT.search(e.title or ""):
                yield e

    def pager_links(self, response) -> list[str]:
        out = []
        here = urlparse(response.url)
        for a in response.css("a[href]"):
            href = (a.attrib.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#")):
                continue
            url = urljoin(response.url, href).split("#")[0]
            u = urlparse(url)
            if u.hostname != here.hostname:
                continue
            text = " ".join(a.css("::text").getall()).strip()
            if _PAGE_HREF.search(url) and (_PAGER_TEXT.match(text) or a.xpath(
                    "ancestor::*[contains(@class,'page') or contains(@id,'page') or contains(@class,'pag')]")):
                out.append(url)
        return out

    def script_pages(self, response) -> Iterator[str] | None:
        """The other pages a pager script states, lazily (its count is untrusted), or None."""
        text = text_of(response)
        p = trs.pager(text, response.url)
        if p is not None and p.count > 1:
            return p.urls
        m = _TOTAL.search(text)
        if m and int(m.group(1)) > 1:
            return (self._page_url(response.url, k) for k in range(2, int(m.group(1)) + 1))
        return None

    @staticmethod
    def _page_url(url: str, k: int) -> str:
        u = urlparse(url)
        q = dict(parse_qsl(u.query))
        for key in ("page", "pageNo", "pageNum", "cur_page", "currpage", "currentPage"):
            if key in q:
                q[key] = str(k)
                return urlunparse(u._replace(query=urlencode(q)))
        return urlunparse(u._replace(query=urlencode({**q, "page": k})))

    def probes(self, response, k: int) -> list[str]:
        """Guesses for page k+1 when a page shows no pager at all (0- and 1-based TRS suffixes)."""
        u = urlparse(response.meta.get(M.PROBE_BASE) or response.url)
        path = u.path
        stem, ext = "index", "html"
        m = re.search(r"/(index|default)\.(s?html?)$", path)
        if m:
            stem, ext = m.group(1), m.group(2)
            base = path[:m.start()] + "/"
        else:
            base = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
        root = urlunparse(u._replace(path=base, query=""))
        return [urljoin(root, f"{stem}_{k}.{ext}"), urljoin(root, f"{stem}_{k + 1}.{ext}")]

    def parse_list(self, response, source):
        found = list(self.entries(response))
        yield from found
        meta = response.meta
        if meta.get(M.PROBE):
            # A probed page continues the chain only while it brings new links.
            k = meta[M.PROBE]
            new = [e for e in found if e.url not in meta.get(M.PROBE_SEEN, ())]
            if new:
                nxt = self.probes(response, k + 1)[meta.get(M.PROBE_VARIANT, 0)]
                seen = set(meta.get(M.PROBE_SEEN, ())) | {e.url for e in found}
                yield self.request(nxt, response, meta={M.PROBE: k + 1, M.PROBE_SEEN: seen,
                                                        M.PROBE_VARIANT: meta.get(M.PROBE_VARIANT, 0),
                                                        M.PROBE_BASE: meta.get(M.PROBE_BASE),
                                                        M.OPTIONAL: True})
            return
        if meta.get(M.IS_FOLLOWUP):
            # Pager links on later pages can reveal pages a window of page numbers hid.
            for url in self.pager_links(response):
                yield self.request(url, response)
            return
        pages = self.script_pages(response) or dict.fromkeys(self.pager_links(response))
        if pages:
            for url in pages:
                yield self.request(url, response)
        elif found:
            seen = {e.url for e in found}
            for variant, url in enumerate(self.probes(response, 1)):
                yield self.request(url, response, meta={M.PROBE: 1, M.PROBE_SEEN: seen, M.PROBE_VARIANT: variant,
                                                        M.PROBE_BASE: response.url, M.OPTIONAL: True})
