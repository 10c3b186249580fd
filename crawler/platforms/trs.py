"""TRS WCM static publishing (docs/adapters.md): `index.html`, `index_1.html`… with the page count
only in an inline `createPageHTML(countPage, currentPage, "index", "html")` call; details
`./YYYYMM/tYYYYMMDD_ID.html`.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler import meta as M
from crawler.platforms.base import Platform, anchor_entry, fingerprinted_list, text_of
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


def page_urls(text: str, base_url: str) -> list[str]:
    """The other pages of a TRS list, from the inline pager call (0-based `index_k` suffixes, or
    the 1-based Sichuan variant whose first argument is the pager div id)."""
    for m in _CREATE.finditer(text):
        args = [a for a in m.groups()]
        if args[0].strip("'\"") and not _num(args[0], text) and args[0][0] in "'\"":
            # createPageHTML('page_div', nPageCount, nCurrIndex(1-based), 'index', 'html', count)
            m2 = re.search(r"createPageHTML\(\s*['\"][^'\"]*['\"]\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*['\"]([^'\"]+)['\"]"
                           r"\s*,\s*['\"]([^'\"]+)['\"]", text)
            if not m2:
                continue
            count = _num(m2.group(1), text) or 0
            return [urljoin(base_url, f"{m2.group(3)}_{i}.{m2.group(4)}") for i in range(2, count + 1)]
        count = _num(args[0], text)
        if count is None:
            continue
        prefix, ext = args[2].strip("'\""), args[3]
        if prefix.isdigit():
            continue
        return [urljoin(base_url, f"{prefix}_{i}.{ext}") for i in range(1, count)]
    m = re.search(_VAR.format("countPage"), text)
    if m:
        return [urljoin(base_url, f"index_{i}.html") for i in range(1, int(m.group(1)))]
    return []


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
        if not response.meta.get(M.IS_FOLLOWUP):
            for url in page_urls(text_of(response), response.url):
                yield self.request(url, response)
