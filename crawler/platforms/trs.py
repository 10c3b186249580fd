"""TRS WCM static publishing (docs/adapters.md): `index.html`, `index_1.html`… with the page count
only in an inline `createPageHTML(countPage, currentPage, "index", "html")` call (the record count,
when printed, in `dataCount`/`recordCount` or the Sichuan call's last argument); details
`./YYYYMM/tYYYYMMDD_ID.html`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urljoin

from crawler import meta as M
from crawler.platforms.base import ListTotal, Platform, anchor_entry, fingerprinted_list, text_of
from nianbao.filetypes import DOCUMENT_URL

# createPageHTML(4, 0, "index", "html") — also with variables: createPageHTML(countPage, currentPage, ...)
_CREATE = re.compile(r"createPage(?:HTML)?\(\s*([\w'\"]+)\s*,\s*([\w'\"]+)\s*,\s*([\w'\"]+)\s*,\s*['\"]([^'\"]+)['\"]"
                     r"(?:\s*,\s*['\"]?([^'\",)]+)['\"]?)?")
_VAR = r"var\s+{}\s*=\s*['\"]?(\d+)"
ARTICLE = re.compile(r"/t\d{8}_\d+\.s?html?$|/\d{6,8}/[^/]+\.s?html?$|/t\d+\.s?html?$", re.I)


def _num(tok: str, text: str) -> int | None:
    tok = tok.strip("'\"")
    if tok.isdigit():
        return int(tok)
    m = re.search(_VAR.format(re.escape(tok)), text)
    return int(m.group(1)) if m else None


_RECORDS = re.compile(r"(?:dataCount|recordCount|nRecordCount|totalRecord)\s*=\s*['\"]?(\d+)")


@dataclass
class Pager:
    """A TRS list's inline pager call: the printed page count (a hint), this page's 1-based number,
    the printed record count if any, and the other pages' URLs (lazy: `count` is untrusted)."""
    count: int
    page: int | None
    records: int | None
    urls: Iterator[str]

    def total(self) -> ListTotal:
        return ListTotal(items=self.records, pages=self.count, page=self.page)


def pager(text: str, base_url: str) -> Pager | None:
    """The pager of a TRS list, from the inline pager call (0-based `index_k` suffixes, or the
    1-based Sichuan variant whose first argument is the pager div id)."""
    rec = _RECORDS.search(text)
    records = int(rec.group(1)) if rec else None
    for m in _CREATE.finditer(text):
        args = [a for a in m.groups()]
        if args[0].strip("'\"") and not _num(args[0], text) and args[0][0] in "'\"":
            # createPageHTML('page_div', nPageCount, nCurrIndex(1-based), 'index', 'html', nRecordCount)
            m2 = re.search(r"createPageHTML\(\s*['\"][^'\"]*['\"]\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*['\"]([^'\"]+)['\"]"
                           r"\s*,\s*['\"]([^'\"]+)['\"](?:\s*,\s*(\w+))?", text)
            if not m2:
                continue
            count = _num(m2.group(1), text) or 0
            stem, ext = m2.group(3), m2.group(4)
            rc = _num(m2.group(5), text) if m2.group(5) else None
            return Pager(count, _num(m2.group(2), text), rc if rc is not None else records,
                         (urljoin(base_url, f"{stem}_{i}.{ext}") for i in range(2, count + 1)))
        count = _num(args[0], text)
        if count is None:
            continue
        prefix, ext = args[2].strip("'\""), args[3]
        if prefix.isdigit():
            continue
        cur = _num(args[1], text)
        return Pager(count, cur + 1 if cur is not None else None, records,
                     (urljoin(base_url, f"{prefix}_{i}.{ext}") for i in range(1, count)))
    m = re.search(_VAR.format("countPage"), text)
    if m:
        cur = re.search(_VAR.format("currentPage"), text)
        return Pager(int(m.group(1)), int(cur.group(1)) + 1 if cur else None, records,
                     (urljoin(base_url, f"index_{i}.html") for i in range(1, int(m.group(1)))))
    return None


class Trs(Platform):
    name = "trs"

    def matches(self, response) -> bool:
        text = text_of(response)
        return bool(re.search(r"createPageHTML|var\s+countPage|trs-attr|TRS_Editor|trs_editor_view", text)
                    or re.search(r"href=['\"][^'\"]*/t\d{8}_\d+\.s?html?", text))

    def is_list_page(self, response) -> bool | None:
        # The inline pager call is published on list pages only.
        return fingerprinted_list(response, rb"createPageHTML\(")

    def parse_list(self, response, source):
        for a in response.css("a[href]"):
            e = anchor_entry(a, response.url)
            if e and (ARTICLE.search(e.url.split("?")[0]) or DOCUMENT_URL.search(e.url.split("?")[0])):
                yield e
        p = pager(text_of(response), response.url)
        if p is None:
            return
        yield p.total()
        if not response.meta.get(M.IS_FOLLOWUP):
            for url in p.urls:
                yield self.request(url, response)
