"""Fallback for CMSs without an adapter (docs/adapters.md, "The generic path").

Items: the rows of the page's list blocks — a container (ul, table, div) whose rows (li, tr, dd…)
hold one link each and of which some read like a report, or are dated — all of them, noise
included, so that a printed total can be set against them; plus any report-like link elsewhere.
Size: what the page prints (共N条, 共N页, k/N页, `totalRecord`, the TRS pager call) becomes a
ListTotal, only when the page has such a list block (a total next to an unrecognised list proves
nothing). Other pages: pager links (numbered files, page/offset parameters, a jump <select>), pager
scripts (`countPage`, `createPageHTML`, `totalpage`) or, failing those, probes of `index_1` /
`index_2`; a probed chain stops at the first page that brings no new links. Lists drawn by
JavaScript are walked in the browser (crawler/listwalk.py).
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse

from parsel import Selector

from crawler import meta as M
from crawler.platforms import trs
from crawler.platforms.base import ListTotal, Platform, anchor_entry, clean, text_of
from nianbao import titles

_PAGER_TEXT = re.compile(r"^(\d{1,3}|下一?页|下页|尾页|末页|next|>|»|›)$", re.I)
_PAGE_HREF = re.compile(r"(?:index|default|list|list_\w+)_(\d+)\.s?html?$|[?&](?:page|pageNo|pageNum|cur_page|currpage|"
                        r"currentPage|curPage|pageIndex|p)=(\d+)|/(\d+)\.s?html?$|"
                        r"[?&][\w.]*(?:offset|start|startrecord)=(\d+)", re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
# Links to (sub-)columns, not items: a block of only these is navigation (year sub-columns, siblings).
_COLUMN_URL = re.compile(r"/col/col\d+/(index\.html)?$|/(index|default)(_\d+)?\.s?html?$|/$")
_ITEMS = re.compile(r"共\s*(\d+)\s*[条條]")
_ITEMS_VAR = re.compile(r"(?:totalRecord|recordCount|dataCount|totalCount)\s*[:=]\s*['\"]?(\d+)")
_PAGE_OF = re.compile(r"第?\s*(\d+)\s*/\s*(\d+)\s*页")
_TOTAL = re.compile(r"(?:totalpage|totalPage|pageCount|countPage|page_count|totalPages)\s*[:=]\s*['\"]?(\d+)")


def same_site(a: str | None, b: str | None) -> bool:
    """The same host, or a department's sub-domain of the portal's site (jyj.<site> beside www.<site>)."""
    if not a or not b:
        return False
    root = b[4:] if b.startswith("www.") else b
    return a == b or a == root or a.endswith("." + root)


class Generic(Platform):
    name = "generic"

    def matches(self, response) -> bool:
        return True

    def entries(self, response):
        return self.read_entries(response)[0]

    def read_entries(self, response) -> tuple[list, bool]:
        """(entries, whether they come from a list block). A list block is a container whose rows
        each hold a link, with at least two report-like rows or mostly dated rows: every row of it
        is an item (noise too: the spider decides what is noise). Report-like links elsewhere are
        items as well; site navigation is not."""
        host = urlparse(response.url).hostname
        here = response.url.split("#")[0]
        blocks: dict = {}
        loose = []
        # Records a list script renders (a Hanweb-style inline <datastore> of CDATA rows) are rows too.
        records = [r for t in response.xpath("//script[@type='text/xml']/text()").getall()
                   for r in _CDATA.findall(t) if "<a " in r]
        anchors = response.xpath("//a[@href][not(ancestor::noscript)]")
        if records:
            anchors = list(anchors) + list(Selector(text="<ul>" + "".join(records) + "</ul>", type="html").xpath("//a[@href]"))
        # <noscript> fallbacks show a few items of a list that JavaScript builds: not the list.
        for a in anchors:
            e = anchor_entry(a, response.url)
            if e is None or not same_site(urlparse(e.url).hostname, host) or e.url == here:
                continue
            text = clean(" ".join(a.css("::text").getall()))
            if _PAGER_TEXT.match(text) or (_PAGE_HREF.search(e.url) and not titles._REPORT.search(e.title or "")
                                           and a.xpath("ancestor::*[contains(@class,'page') or contains(@id,'page')]")):
                continue
            row = a.xpath("ancestor::*[self::li or self::tr or self::dd or self::dt][1]")
            node = row[0] if row else a.xpath("..")[0]
            parent = node.root.getparent()
            if row and parent is not None:
                blocks.setdefault(parent, []).append((node.root, e))
            else:
                loose.append(e)
        out, in_block = {}, False
        for rows in blocks.values():
            report = sum(1 for _, e in rows if titles._REPORT.search(e.title or ""))
            dated = sum(1 for _, e in rows if e.date)
            distinct_rows = len({id(r) for r, _ in rows})
            columns = sum(1 for _, e in rows if _COLUMN_URL.search(urlparse(e.url).path))
            if columns < len(rows) and (report >= 2 or (report and 2 * dated >= distinct_rows >= 2)):
                in_block = True
                for _, e in rows:
                    out.setdefault(e.url, e)
            else:
                loose += [e for _, e in rows]
        for e in loose:
            # Only things that read like a report (or a notice about one) are items; nav is not.
            if titles._REPORT.search(e.title or ""):
                out.setdefault(e.url, e)
        return list(out.values()), in_block

    def printed_total(self, response) -> ListTotal | None:
        """What the page prints about its list's size: 共N条 / 共N页 / k/N页 / `totalRecord`, the TRS
        pager call. A page count is kept only with this page's number (else every page would count full)."""
        text = text_of(response)
        plain = clean(" ".join(response.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()))
        items = pages = page = None
        m = _ITEMS.search(plain) or _ITEMS_VAR.search(text)
        if m:
            items = int(m.group(1))
        m = _PAGE_OF.search(plain)
        if m:
            page, pages = int(m.group(1)), int(m.group(2))
        p = trs.pager(text, response.url)
        if p is not None:
            items = items if items is not None else p.records
            if p.page is not None and pages is None:
                page, pages = p.page, p.count
        if items is None and pages is None:
            return None
        return ListTotal(items=items, pages=pages if page else None, page=page)

    def pager_links(self, response) -> list[str]:
        here = urlparse(response.url)
        # A jump <select onchange="location.href=this.value">: its options are the other pages.
        out = [urljoin(response.url, v).split("#")[0]
               for v in response.xpath("//select[contains(@onchange,'location')]/option/@value").getall()
               if v.strip() and not v.strip().startswith(("javascript:", "#"))]
        out = [u for u in out if urlparse(u).hostname == here.hostname and u != response.url]
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
        found, in_block = self.read_entries(response)
        yield from found
        total = self.printed_total(response) if in_block else None
        if total is not None:
            yield total
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
        elif found and not meta.get("playwright") and not (
                total is not None and total.items is not None and len(found) >= total.items):
            # No guessing when the page already shows all it prints, nor on a rendered list (the
            # browser walks that one).
            seen = {e.url for e in found}
            for variant, url in enumerate(self.probes(response, 1)):
                yield self.request(url, response, meta={M.PROBE: 1, M.PROBE_SEEN: seen, M.PROBE_VARIANT: variant,
                                                        M.PROBE_BASE: response.url, M.OPTIONAL: True})
