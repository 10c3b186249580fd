"""From a portal's home page to its 年报 column (`nianbao sources discover`).

Two halves:

* **Ranking** — pure functions over what was seen: each page's title, its links (text and
  `title` attribute) and the report titles it lists. A candidate column earns points for its
  name (政府信息公开年报, 政府信息公开工作年度报告, 年度报告, 年报 … in a link pointing to it or in its
  own title), for listing report titles (nianbao/titles.py), for year or department
  sub-columns, for a printed total; it loses them for being a year sub-column of another
  candidate. A link whose text is a report title (an agency and a year) is an item, never a
  column; names such as 政府工作报告, 年度报表 or a notice about 年度报告 are not 年报 columns.
* **Walking** — a small bounded fetcher: the home page's host only, robots.txt obeyed (its
  Crawl-delay too), depth ≤ 3 from the home page, a page cap, a delay between requests, and the
  scope rules of crawler/scope.py (http(s) only; a host that is or resolves to a private or
  loopback address is refused unless it matches `allow_private`, the farm's `*.test`). It
  follows only links that lead towards a 年报 column: 年报-like names, the 政府信息公开 /
  信息公开目录 / 法定主动公开内容 area, and column-looking links on area pages. Chromium
  (crawler/browser.py) renders a page only when it is a JS shell: a candidate column whose HTML
  lists no report, or a navigation page with next to no links.
"""
from __future__ import annotations

import gzip
import heapq
import http.client
import re
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from nianbao import titles
from nianbao.filetypes import DOCUMENT_URL, IMAGE_URL

MAX_DEPTH = 3
MAX_PAGES = 40
MAX_RENDERS = 6
MAX_BYTES = 5 * 1024 * 1024
MIN_SCORE = 30          # below this a candidate is not worth proposing

# ------------------------------------------------------------------ names
_SPACE = re.compile(r"[\s\u3000\xa0]+")
FULL_NAMES = ("政府信息公开年报", "政府信息公开工作年度报告", "政府信息公开年度报告", "政府信息公开工作年报",
              "信息公开年报", "信息公开工作年度报告", "信息公开年度报告", "公开年报", "年度报告", "年报")
_STRONG = re.compile(r"信息公[开開](工作)?(年度[报報]告|年[报報])")
_MEDIUM = re.compile(r"公[开開](工作)?年[报報]|公[开開]工作年度[报報]告")
_WEAK = re.compile(r"年度[报報]告|年[报報]")
# Names that contain the words but are something else.
_NOT_NIANBAO = re.compile(r"政府工作[报報]告|[报報]表|通知|关于|關於|要点|要點")
# Other annual reports (统计年报, 企业年报, 审计…): not ours, unless the name says 信息公开 too (统计局政府信息公开年报).
_OTHER_ANNUAL = re.compile(r"统计|統計|年鉴|年鑑|决算|預算|预算|审计|審計|国民经济|社会发展|财务|財務|企业|企業|年检|年审|"
                           r"年審|工作总结|述职")
_AREA = re.compile(r"政府信息公[开開]|信息公[开開]|政[务務]公[开開]|公[开開]目[录錄]|主动公[开開]|法定主动|"
                   r"公[开開]专栏|公[开開]平台|部门信息|乡镇信息")
_NOT_AREA = re.compile(r"指南|制度|规定|規定|办法|辦法|通知|关于|關於|申请表|申請表|流程|规范|細則|细则")
_ARTICLE_URL = re.compile(r"post_\d+|content_\d+|/t\d{8}_\d+|/art_\d+|/art/\d{4}/|/\d{6,8}/[^/]+\.\w+$|/\d{5,}\.s?html?$|"
                          r"[?&](id|contentId|infoid|articleId|docid|newsid)=", re.I)
_YEAR_SUB = re.compile(r"^((?:19|20)\d{2})\s*年度?(?:政府)?(?:信息公[开開])?(?:工作)?(?:年度[报報]告|年[报報])?$")
_DEPT = re.compile(r"(局|委员会|委|办公室|办|政府|镇|乡|街道|中心|院|所|队|处)$")
_PAGER = re.compile(r"^(\d{1,4}|[上下]一?页|[上下]页|首页|尾页|末页|更多|>|<|»|«|›|‹)$")
_SCRIPT_ANCHOR = re.compile(r"<a\s[^>]*?href=['\"]([^'\"]+)['\"][^>]*>\s*([^<]{6,100}?)\s*</a>", re.I)
_JS_REDIRECT = re.compile(r"(?:window\.|document\.|top\.)?location(?:\.href)?\s*(?:=|\.replace\(|\.assign\()\s*"
                          r"['\"]([^'\"]+)['\"]")
_TITLE_SEP = re.compile(r"[-_|｜–—·>»]+")
_TOTAL = re.compile(r"共\s*(\d{1,6})\s*条")
_COLUMN_URL = re.compile(r"(/|/index[\w-]*\.\w+|/default\.\w+|/list[\w-]*\.\w+|/col/col\d+/?[\w.]*|\.jsp(\?.*)?|"
                         r"/govinfo_list\.html|[?&](cat|col|channel|column|class)\w*=\w+.*)$", re.I)


def clean(text: str | None) -> str:
    return _SPACE.sub("", text or "").strip()


def is_report_item(text: str) -> bool:
    """A report's own title (an agency and a year): an item of a column, not a column."""
    t = clean(text)
    return titles.classify(t) != "noise" and titles.report_year(t) is not None and titles.agency(t) is not None \
        and not _YEAR_SUB.match(t)


def name_score(text: str | None) -> int:
    """How much a link text or page title reads like the name of a 年报 column (0: not at all)."""
    t = clean(text)
    if not t or len(t) > 40 or is_report_item(t) or _NOT_NIANBAO.search(t):
        return 0
    if _OTHER_ANNUAL.search(t) and not _STRONG.search(t):
        return 0
    if _STRONG.search(t):
        score = 50
    elif _MEDIUM.search(t):
        score = 40
    elif _WEAK.search(t):
        score = 30 if t in ("年度报告", "年報", "年报", "年度報告") else 20
    else:
        return 0
    if t in FULL_NAMES:
        score += 5
    return score


def year_of_subcolumn(text: str | None) -> int | None:
    """2023 for a year sub-column's name (2023年, 2023年度, 2023年政府信息公开年报), else None."""
    m = _YEAR_SUB.match(clean(text))
    return int(m.group(1)) if m else None


def is_department(text: str | None) -> bool:
    t = clean(text)
    return 2 <= len(t) <= 20 and bool(_DEPT.search(t)) and not _AREA.search(t) and name_score(t) == 0


def is_area(text: str | None) -> bool:
    """A navigation label of the disclosure area (政府信息公开, 信息公开目录, 法定主动公开内容…)."""
    t = clean(text)
    return bool(t) and len(t) <= 12 and bool(_AREA.search(t)) and not _NOT_AREA.search(t)


def article_like(url: str) -> bool:
    """A URL shaped like one article (post_123, content_123, t20240101_1, art_1_2, ?id=…)."""
    u = urlsplit(url)
    return bool(_ARTICLE_URL.search(u.path + ("?" + u.query if u.query else "")))


def column_like(url: str) -> bool:
    """A URL shaped like a column (a directory, index/list page, a column id) rather than an article."""
    u = urlsplit(url)
    return not DOCUMENT_URL.search(u.path) and not IMAGE_URL.search(u.path) and bool(
        _COLUMN_URL.search(u.path + ("?" + u.query if u.query else "")))


# ------------------------------------------------------------------ pages
@dataclass
class Link:
    url: str        # absolute, without fragment
    text: str
    title: str      # the anchor's title attribute
    page: str       # the page it is on

    @property
    def names(self) -> list[str]:
        return [x for x in (self.text, self.title) if x]


@dataclass
class Page:
    url: str
    depth: int
    title: str = ""
    column: str = ""          # the ColumnName meta
    article: str = ""         # the ArticleTitle meta: a detail page
    links: list[Link] = field(default_factory=list)
    total: int | None = None  # 共N条
    rendered: bool = False
    scripts: bool = False
    redirect: str = ""        # a meta refresh or location.replace() target (shell pages)

    @property
    def report_items(self) -> set[str]:
        return {lk.url for lk in self.links if any(is_report_item(n) for n in lk.names)}


def parse_page(url: str, html: str, depth: int = 0) -> Page:
    from parsel import Selector
    sel = Selector(text=html or "<html></html>")
    page = Page(url=url, depth=depth)
    page.title = clean(" ".join(sel.css("title::text").getall()))
    page.column = clean(sel.css("meta[name=ColumnName]::attr(content)").get())
    page.article = clean(sel.css("meta[name=ArticleTitle]::attr(content)").get())
    page.scripts = bool(sel.css("script"))
    for a in sel.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or re.match(r"(javascript|mailto|tel|data):|#", href, re.I):
            continue
        target = urljoin(url, href).split("#")[0]
        if urlsplit(target).scheme not in ("http", "https"):
            continue
        page.links.append(Link(target, clean(" ".join(a.css("::text").getall())), clean(a.attrib.get("title")), url))
    # Lists shipped inside a script (Hanweb's <datastore> records in CDATA) are read without a browser.
    for script in sel.css("script::text").getall():
        for href, text in _SCRIPT_ANCHOR.findall(script):
            if is_report_item(text):
                page.links.append(Link(urljoin(url, href).split("#")[0], clean(text), "", url))
    refresh = sel.css("meta[http-equiv]").xpath("@content").re_first(r"(?i)url\s*=\s*['\"]?([^'\"\s>]+)")
    js = _JS_REDIRECT.search(" ".join(sel.css("script::text").getall()))
    target = refresh or (js.group(1) if js else "")
    if target:
        page.redirect = urljoin(url, target).split("#")[0]
    # the printed total of the list, ignoring the page's navigation
    body = " ".join(sel.xpath("//body//text()[not(ancestor::script)]").getall())
    m = _TOTAL.search(body)
    page.total = int(m.group(1)) if m else None
    return page


def title_part(title: str) -> str:
    """The part of a page title that names the column ("政府信息公开年报_某市统计局" → 政府信息公开年报)."""
    parts = [x for x in _TITLE_SEP.split(title or "") if x]
    return max(parts, key=name_score, default=title or "")


def needs_browser(page: Page, candidate: bool) -> bool:
    """Render in Chromium only a JS shell: a candidate column whose HTML lists no report, or a
    navigation page with next to no links of its own."""
    if not page.scripts or page.article:
        return False
    if candidate:
        return not page.report_items
    return len({lk.url for lk in page.links}) < 3


# ------------------------------------------------------------------ ranking
@dataclass
class Candidate:
    url: str
    title: str
    score: int
    evidence: list[str]
    depth: int = 99
    items: int = 0

    def as_dict(self) -> dict:
        return {"url": self.url, "title": self.title, "score": self.score, "evidence": list(self.evidence)}


def rank(pages: dict[str, Page], home: str | None = None) -> list[Candidate]:
    """Candidate 年报 columns among what the walk saw, best first (score ≥ MIN_SCORE)."""
    links_to: dict[str, list[Link]] = {}
    items: set[str] = set()
    for p in pages.values():
        for lk in p.links:
            links_to.setdefault(lk.url, []).append(lk)
            if any(is_report_item(n) for n in lk.names):
                items.add(lk.url)
    # year / department sub-columns as their parent pages link them
    subs_of: dict[str, list[tuple[str, str]]] = {}
    parent_of: dict[str, str] = {}
    for p in pages.values():
        if p.article:
            continue
        for lk in p.links:
            if lk.url == p.url or lk.url in items:
                continue
            y = next((year_of_subcolumn(n) for n in lk.names if year_of_subcolumn(n)), None)
            if y is not None:
                subs_of.setdefault(p.url, []).append(("year", f"{y}年"))
                parent_of.setdefault(lk.url, p.url)
            elif is_department(lk.text) and column_like(lk.url):
                subs_of.setdefault(p.url, []).append(("dept", lk.text))

    urls = {u for u, lks in links_to.items() if any(name_score(n) for lk in lks for n in lk.names)}
    urls |= {u for u, p in pages.items()
             if name_score(title_part(p.title)) or name_score(p.column) or len(p.report_items) >= 3}
    hp = pages.get(home or "")
    if hp is not None and not (name_score(title_part(hp.title)) or name_score(hp.column)):
        urls.discard(home)   # a home page is a candidate only when it is itself a 年报 column
    out = []
    for u in urls:
        page = pages.get(u)
        if u in items or (page is not None and page.article):
            continue   # a report (or another article), not a column
        ev: list[str] = []
        best, best_ev, title = 0, "", ""
        for lk in links_to.get(u, []):
            for n in lk.names:
                s = name_score(n)
                if s > best:
                    best, best_ev, title = s, f'link text "{n}" on {lk.page}', n
        if page is not None:
            for label, n in (("page title", title_part(page.title)), ("column name", page.column)):
                s = name_score(n)
                if s > best:
                    best, best_ev, title = s, f'{label} "{n}"', n
                elif s and s == best:
                    ev.append(f'{label} "{n}"')
            if not title:   # no 年报-like name anywhere (a page that lists reports): its own title
                title = page.column or page.title
        score = best
        if best_ev:
            ev.insert(0, best_ev)
        n_items = 0
        if page is None:
            ev.append("not fetched (depth or page limit)")
        else:
            n_items = len(page.report_items)
            if n_items:
                score += 10 + min(20, 2 * n_items)
                ev.append(f"lists {n_items} report titles" + (" (rendered in Chromium)" if page.rendered else ""))
            if page.total is not None and n_items:
                score += 3
                ev.append(f"declares 共{page.total}条")
            kinds = subs_of.get(u, [])
            years = sorted({x for k, x in kinds if k == "year"}, reverse=True)
            depts = [x for k, x in kinds if k == "dept"]
            if len(years) >= 2:
                score += 15
                ev.append("year sub-columns: " + ", ".join(years[:6]))
            if len(set(depts)) >= 3 and (best or n_items):
                score += 10
                ev.append("department sub-columns: " + ", ".join(list(dict.fromkeys(depts))[:5]))
        parent = parent_of.get(u)
        if parent is not None and parent in urls and parent != u:
            score -= 25
            ev.append(f"a year sub-column of {parent}")
        if score >= MIN_SCORE:
            out.append(Candidate(u, title, score, ev, page.depth if page else 99, n_items))
    out.sort(key=lambda c: (-c.score, -c.items, c.depth, len(c.url), c.url))
    return out


# ------------------------------------------------------------------ walking
class DiscoverError(Exception):
    """The walk could not start: `refused` by the scope rules, or the home page `unreachable`."""

    def __init__(self, message: str, kind: str = "unreachable"):
        super().__init__(message)
        self.kind = kind


@dataclass
class Result:
    home: str
    candidates: list[Candidate]
    pages: dict[str, Page]
    fetched: int = 0
    rendered: int = 0
    skipped: list[str] = field(default_factory=list)   # "url: why"
    site: str = ""                                     # the home page's title


class Walker:
    def __init__(self, home: str, allow_private=(), delay: float = 0.5, max_pages: int = MAX_PAGES,
                 max_depth: int = MAX_DEPTH, browser: bool = True, timeout: float = 20.0,
                 user_agent: str | None = None, max_renders: int = MAX_RENDERS, log=None):
        from crawler.scope import Scope
        if not re.match(r"https?://", home, re.I):
            home = "http://" + home
        self.home = home.split("#")[0]
        self.scope = Scope(allow_private=allow_private)
        self.delay, self.max_pages, self.max_depth = float(delay), int(max_pages), int(max_depth)
        self.browser, self.timeout, self.max_renders = browser, float(timeout), int(max_renders)
        if user_agent is None:
            from crawler.settings import USER_AGENT
            user_agent = USER_AGENT
        self.ua = user_agent
        self.log = log or (lambda msg: None)
        self.host = (urlsplit(self.home).hostname or "").lower()
        self.robots = None
        self.crawl_delay = 0.0
        self._last = 0.0
        self._pw = None
        self._chromium = None

    # -- scope
    def refusal(self, url: str) -> str | None:
        why = self.scope.refusal(url)
        if why:
            return why
        host = (urlsplit(url).hostname or "").lower()
        if host != self.host:
            return f"another host ({host})"
        return None

    def address(self, host: str) -> str:
        """The IP to connect to, after the private-address rule (the farm's *.test → 127.0.0.1)."""
        from crawler.resolver import LOOPBACK, is_test_host
        if self.scope.private_allowed(host):
            return LOOPBACK if is_test_host(host) else socket.gethostbyname(host)
        if is_test_host(host):
            raise DiscoverError(f"host {host} is a private farm host (allow it with --allow-private '*.test')", "refused")
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror as e:
            raise DiscoverError(f"cannot resolve {host}: {e}") from None
        for info in infos:
            why = self.scope.resolved_refusal(host, info[4][0])
            if why:
                raise DiscoverError(why, "refused")
        return infos[0][4][0]

    # -- HTTP
    def _get_once(self, url: str) -> tuple[int, dict, bytes]:
        u = urlsplit(url)
        host = (u.hostname or "").lower()
        ip = self.address(host)
        port = u.port or (443 if u.scheme == "https" else 80)
        if u.scheme == "https":
            conn = _PinnedHTTPS(host, port, ip, timeout=self.timeout, context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(ip, port, timeout=self.timeout)
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        hdr_host = u.netloc.rsplit("@", 1)[-1]
        try:
            conn.request("GET", path, headers={"Host": hdr_host, "User-Agent": self.ua, "Accept-Encoding": "gzip, deflate",
                                               "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                                               "Accept-Language": "zh-CN,zh;q=0.9"})
            r = conn.getresponse()
            data = r.read(MAX_BYTES + 1)[:MAX_BYTES]
            headers = {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        enc = headers.get("content-encoding", "").lower()
        try:
            if enc == "gzip":
                data = gzip.decompress(data)
            elif enc == "deflate":
                data = zlib.decompress(data)
        except (OSError, zlib.error):
            pass
        return r.status, headers, data

    def _wait(self):
        gap = max(self.delay, self.crawl_delay)
        if gap > 0:
            time.sleep(max(0.0, self._last + gap - time.monotonic()))
        self._last = time.monotonic()

    def get(self, url: str, hops: int = 5) -> tuple[str, int, dict, bytes]:
        """(final URL, status, headers, body) following redirects, each hop judged by the scope."""
        for _ in range(hops + 1):
            self._wait()
            status, headers, data = self._get_once(url)
            if status in (301, 302, 303, 307, 308) and headers.get("location"):
                nxt = urljoin(url, headers["location"])
                why = self.scope.refusal(nxt)
                if why is None and (urlsplit(nxt).hostname or "").lower() != self.host:
                    why = f"redirect to another host: {nxt}"
                if why:
                    raise DiscoverError(why, "refused")
                url = nxt
                continue
            return url, status, headers, data
        raise DiscoverError(f"too many redirects from {url}")

    def load_robots(self):
        from protego import Protego
        root = f"{urlsplit(self.home).scheme}://{urlsplit(self.home).netloc}/robots.txt"
        try:
            _, status, headers, data = self.get(root)
        except (DiscoverError, OSError, http.client.HTTPException):
            return
        text = data.decode("utf-8", "replace")
        if status == 200 and "html" not in headers.get("content-type", "").lower() and not text.lstrip().startswith("<"):
            self.robots = Protego.parse(text)
            delay = self.robots.crawl_delay(self.ua)
            self.crawl_delay = float(delay or 0)

    def allowed(self, url: str) -> bool:
        return self.robots is None or self.robots.can_fetch(url, self.ua)

    # -- the browser, for JS shells only
    def render(self, url: str) -> str | None:
        from crawler import browser as chromium
        if not self.browser or not chromium.available():
            return None
        try:
            from playwright.sync_api import sync_playwright
            if self._pw is None:
                self._pw = sync_playwright().start()
                self._chromium = self._pw.chromium.launch(**chromium.launch_options())
            ctx = self._chromium.new_context(user_agent=self.ua)
            try:   # closed even when the page times out: a left-open page goes on fetching
                page = ctx.new_page()
                page.route("**/*", lambda route: route.continue_() if self.refusal(route.request.url) is None
                           else route.abort())
                self._wait()
                page.goto(url, wait_until="networkidle", timeout=self.timeout * 1000)
                return page.content()
            finally:
                ctx.close()
        except Exception as e:  # noqa: BLE001 - a page Chromium cannot render is judged on its HTML
            self.log(f"render failed for {url}: {e}")
            return None

    def close(self):
        if self._chromium is not None:
            self._chromium.close()
        if self._pw is not None:
            self._pw.stop()
        self._chromium = self._pw = None

    @staticmethod
    def decode(headers: dict, data: bytes) -> str:
        from w3lib.encoding import html_to_unicode
        return html_to_unicode(headers.get("content-type"), data)[1]

    # -- the walk
    def walk(self) -> Result:
        why = self.scope.refusal(self.home)
        if why:
            raise DiscoverError(why, "refused")
        self.address(self.host)   # refuses a private host before anything is sent
        self.load_robots()
        if not self.allowed(self.home):
            raise DiscoverError(f"robots.txt of {self.host} disallows {self.home}")
        try:
            final, status, headers, data = self.get(self.home)
        except (OSError, http.client.HTTPException) as e:
            raise DiscoverError(f"cannot fetch {self.home}: {e}") from None
        if status != 200:
            raise DiscoverError(f"{self.home} answered HTTP {status}")
        result = Result(home=final, candidates=[], pages={})
        pages = result.pages
        queue: list[tuple[int, int, int, str]] = []
        queued: set[str] = {final}
        seq = 0
        body: tuple[dict, bytes] | None = (headers, data)
        first = True
        heapq.heappush(queue, (0, 0, seq, final))
        try:
            while queue and result.fetched < self.max_pages:
                prio, depth, _, url = heapq.heappop(queue)
                if first:
                    first = False
                else:
                    if not self.allowed(url):
                        result.skipped.append(f"{url}: robots.txt")
                        continue
                    try:
                        url2, status, headers, data = self.get(url)
                    except (DiscoverError, OSError, http.client.HTTPException) as e:
                        result.skipped.append(f"{url}: {e}")
                        continue
                    body = (headers, data)
                    if status != 200 or "html" not in headers.get("content-type", "text/html").lower():
                        result.skipped.append(f"{url}: HTTP {status} {headers.get('content-type', '')}")
                        continue
                headers, data = body
                result.fetched += 1
                page = parse_page(url, self.decode(headers, data), depth)
                candidate = depth > 0 and (name_score(title_part(page.title)) > 0 or name_score(page.column) > 0 or prio == 0)
                if result.rendered < self.max_renders and needs_browser(page, candidate):
                    html = self.render(url)
                    if html is not None:
                        result.rendered += 1
                        page = parse_page(url, html, depth)
                        page.rendered = True
                pages[url] = page
                if depth == 0:
                    result.site = page.title
                self.log(f"fetched {url} (depth {depth}{', rendered' if page.rendered else ''})")
                if page.redirect and page.redirect not in queued and self.refusal(page.redirect) is None \
                        and len({lk.url for lk in page.links}) < 3:
                    # a shell that only sends the browser on (meta refresh, location.replace): same depth
                    seq += 1
                    queued.add(page.redirect)
                    heapq.heappush(queue, (prio, depth, seq, page.redirect))
                if depth >= self.max_depth:
                    continue
                area_page = (depth == 0 or prio <= 1 or is_area(page.column)
                             or any(is_area(x) for x in _TITLE_SEP.split(page.title)))
                for lk in page.links:
                    if lk.url in queued or self.refusal(lk.url) or DOCUMENT_URL.search(urlsplit(lk.url).path) \
                            or IMAGE_URL.search(urlsplit(lk.url).path):
                        continue
                    names = lk.names
                    if any(is_report_item(n) for n in names) or _PAGER.match(lk.text):
                        continue
                    if any(name_score(n) for n in names):
                        p = 0
                    elif any(is_area(n) for n in names) and not article_like(lk.url):
                        p = 1
                    elif any(year_of_subcolumn(n) for n in names) and candidate:
                        p = 1
                    elif area_page and column_like(lk.url) and not article_like(lk.url) \
                            and not any(_NOT_NIANBAO.search(n) or _NOT_AREA.search(n) for n in names):
                        p = 2
                    else:
                        continue
                    seq += 1
                    queued.add(lk.url)
                    heapq.heappush(queue, (p, depth + 1, seq, lk.url))
        finally:
            self.close()
        result.candidates = rank(pages, home=final)
        return result


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address we resolved (and judged) ourselves, with the certificate checked for the host."""

    def __init__(self, host, port, ip, **kw):
        super().__init__(host, port, **kw)
        self._ip = ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def discover(home: str, **kw) -> Result:
    return Walker(home, **kw).walk()


def slug_for(host: str) -> str:
    """A registry id from a host: www.kp-county.gov.cn → kp-county-nianbao."""
    h = re.sub(r"^www\d?\.", "", (host or "").lower())
    h = re.sub(r"(\.gov|\.com|\.org)?(\.cn)?(\.test)?$", "", h)
    h = re.sub(r"[^a-z0-9]+", "-", h).strip("-") or "portal"
    return f"{h}-nianbao"


def site_name(title: str) -> str:
    """The site's name from its home page title ("首页 - 某县人民政府" → 某县人民政府)."""
    parts = [p.strip() for p in re.split(r"[-_|｜–—·]+", title or "") if p.strip()]
    return next((p for p in parts if re.search(r"政府|人民|委员会|局$", p)), parts[0] if parts else "")
