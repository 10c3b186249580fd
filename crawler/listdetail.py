"""Is a page reached as a report's detail page really a detail, or a (sub-)column list?

Decided by the page's structure, not by counting report-titled links: a detail page has one main
article (a body of text or tables, or only an attachment), a report-like heading and usually a
publish-date line; the report-titled links it carries sit in neighbour zones — 上一篇/下一篇/
上一条/下一条, a 相关链接/相关文章 box, the 附件 list — or in the site's header and footer. A list
page has several report-titled rows outside such zones and little prose of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

from lxml import etree
from parsel import Selector

from nianbao import titles
from nianbao.filetypes import DOCUMENT_URL, DOWNLOAD_PATH

_NEIGHBOUR_TEXT = re.compile(r"上一[篇条條页頁]|下一[篇条條页頁]|前一[篇条]|后一[篇条]|相关(链接|文章|信息|阅读|推荐|稿件)|"
                             r"相關|附件|推荐阅读|热点|热门|猜你喜欢")
_NEIGHBOUR_ATTR = re.compile(r"xglj|xgwz|xgxx|relat|recommend|prev|next|fujian|attach|\bfj\b|hot|tuijian", re.I)
_CHROME_ATTR = re.compile(r"header|footer|\bnav\b|navbar|menu|sidebar|left-?box|crumb|topbar|bottom", re.I)
_DATE_LINE = re.compile(r"(发布|發布|成文|印发|公开|更新)?(日期|时间|時間)\s*[:：]?\s*\[?\s*(19|20)\d{2}\s*[-/.年]\s*\d{1,2}")
_ANY_DATE = re.compile(r"(19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_PAGER = re.compile(r"共\s*\d+\s*[条條页頁]|\d+\s*/\s*\d+\s*页|下一页|尾页|末页")


@dataclass
class PageShape:
    kind: str                  # detail | list | unknown
    heading: str = ""          # the report-like h1/h2/title text, if any
    body_chars: int = 0        # prose (not link text) of the largest content block
    date_line: bool = False
    rows: int = 0              # report-titled links outside neighbour zones and site chrome
    neighbours: int = 0        # report-titled links in neighbour zones
    attachments: int = 0
    pager: bool = False
    why: list[str] = field(default_factory=list)


# Compiled once; evaluated on lxml elements directly (parsel would wrap every result node in a
# Selector: most of this module's time on a page with big tables).
_X_TEXT = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]", smart_strings=False)
_X_ANCESTORS6 = etree.XPath("ancestor::*[position() <= 6]")
_X_ROW = etree.XPath("ancestor::*[self::p or self::li or self::div or self::td or self::dd or self::span][1]")
_X_BOXES = etree.XPath("ancestor::*[self::div or self::section or self::td or self::table][position() <= 3]")
_X_BOX_HEAD = etree.XPath("./*[self::h2 or self::h3 or self::h4 or self::p or self::span or self::strong or self::div]"
                          "[1]//text()", smart_strings=False)
_X_ANCHORS = etree.XPath("//a[@href][not(ancestor::noscript)]")
def _headings(root):
    """The page's heading candidates in document order, one at a time: h1-h3, <title>, the
    ArticleTitle meta's content, and any element but a link whose class holds `title` or `tt`
    or whose id holds `title` (the XPath union of these, over the whole page, cost a third of
    `shape`; the first usable one is usually in <head>)."""
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):   # comments, processing instructions
            continue
        if tag in ("h1", "h2", "h3", "title") or (tag != "a" and _title_attrs(el)):
            yield el
        if tag == "meta" and el.get("name") == "ArticleTitle" and el.get("content") is not None:
            yield el.get("content")   # an attribute comes after its element


def _title_attrs(el) -> bool:
    cls = el.get("class") or ""
    return "title" in cls or "tt" in cls or "title" in (el.get("id") or "")
_X_IN_ANCHOR = etree.XPath("ancestor-or-self::a")
_X_BLOCKS = etree.XPath("//div | //article | //td | //section")
_X_PROSE = etree.XPath("./text() | ./p//text()[not(ancestor::a)] | ./table//text() | ./span/text() | ./font//text()",
                       smart_strings=False)
_X_PUBDATE = etree.XPath("//meta[@name='PubDate']")


def _text(node) -> str:
    """The text of a parsel Selector or an lxml element, scripts and styles excluded."""
    el = getattr(node, "root", node)
    return re.sub(r"[\s\u3000\xa0]+", " ", " ".join(_X_TEXT(el))).strip()


def _reportish(title: str) -> bool:
    return titles.classify(title) != "noise" and bool(titles.agency(title) or titles.report_year(title))


def _in_zone(a, pattern_attr, pattern_text=None) -> bool:
    """Is anchor `a` (an lxml element) inside an element whose id/class matches `pattern_attr`, or
    (for neighbour zones) preceded within its own row or box by a label such as 上一条 / 相关链接?"""
    for anc in _X_ANCESTORS6(a):
        attrs = " ".join(filter(None, (anc.get("id"), anc.get("class"))))
        if attrs and pattern_attr.search(attrs):
            return True
        if anc.tag in ("header", "footer", "nav") and pattern_attr is _CHROME_ATTR:
            return True
    if pattern_text is None:
        return False
    row = _X_ROW(a)
    if row:
        own = _text(row[0]).replace(_text(a), "", 1)
        if pattern_text.search(own):
            return True
    # A box whose heading names it (<div><h3>相关链接</h3><ul>…</ul></div>)
    for anc in _X_BOXES(a):
        head = " ".join(_X_BOX_HEAD(anc))
        if pattern_text.search(head or ""):
            return True
    return False


def shape(html, url: str) -> PageShape:
    """The structure of a page: detail, list, or unknown (no report-like heading and no rows).
    `html` is the page's text or bytes, or its parsed tree (a parsel Selector: the spider passes
    the response's own, so the page is not parsed a second time)."""
    if isinstance(html, Selector):
        root = html.root
    else:
        if isinstance(html, bytes):
            html = html.decode("utf-8", "replace")
        root = Selector(text=html or "<html></html>", type="html").root
    host = urlparse(url).hostname
    rows, neighbours, attachments = set(), set(), set()
    for a in _X_ANCHORS(root):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        target = urljoin(url, href).split("#")[0]
        if DOCUMENT_URL.search(target) or DOWNLOAD_PATH.search(target):
            attachments.add(target)
            continue
        if urlparse(target).hostname != host or target == url.split("#")[0]:
            continue
        title = re.sub(r"\s+", " ", a.get("title") or _text(a)).strip()
        if not _reportish(title):
            continue
        if _in_zone(a, _NEIGHBOUR_ATTR, _NEIGHBOUR_TEXT):
            neighbours.add(target)
        elif not _in_zone(a, _CHROME_ATTR):
            rows.add(target)
    heading = ""
    for h in _headings(root):
        t = h if isinstance(h, str) else _text(h)
        t = re.sub(r"\s+", " ", t or "").strip()
        if t and titles.classify(t) != "noise" and (isinstance(h, str) or not _X_IN_ANCHOR(h)):
            heading = t
            break
    # The largest block of prose (link text excluded): the article body.
    body = 0
    for block in _X_BLOCKS(root):
        # characters other than whitespace (str.split drops the whitespace \s matches)
        body = max(body, sum(len(w) for t in _X_PROSE(block) for w in t.split()))
    plain = _text(root)
    date_line = bool(_DATE_LINE.search(plain)) or bool(_X_PUBDATE(root))
    pager = bool(_PAGER.search(plain))
    s = PageShape("unknown", heading, body, date_line, len(rows), len(neighbours), len(attachments), pager)
    if rows and len(rows) >= 2 and body < 400:
        s.kind, s.why = "list", [f"{len(rows)} report rows outside neighbour zones", f"{body} chars of prose"]
    elif len(rows) >= 3 and pager:
        s.kind, s.why = "list", [f"{len(rows)} report rows", "a pager"]
    elif heading and (body >= 150 or attachments or date_line) and len(rows) <= 2:
        s.kind = "detail"
        s.why = [f"heading {heading[:30]}", f"{body} chars of prose", f"{len(attachments)} attachments",
                 f"{len(neighbours)} neighbour links", "a date line" if date_line else "no date line"]
    elif rows and not heading and body < 150:
        s.kind, s.why = "list", [f"{len(rows)} report rows", "no report heading"]
    elif not heading and not rows and _ANY_DATE.search(plain) and pager:
        s.kind, s.why = "list", ["a pager and no report heading"]
    return s


def looks_like_list(html: str | bytes, url: str) -> bool:
    return shape(html, url).kind == "list"
