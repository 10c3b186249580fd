"""The one generic spider: registry → platform adapter → list pages → details → attachments.

It yields what it fetched; it never parses report tables (that is pipelines/). Every request
carries `meta[M.ROLE]` (crawler/meta.py) (list, api, detail, attachment, image) for the captures table.
"""
from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl, unquote, urljoin, urlparse

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse

from crawler import listdetail, listwalk, platforms
from crawler import meta as M
from crawler.platforms.base import ListEntry, ListTotal, clean
from crawler.runstate import RunState
from nianbao import titles
from nianbao.filetypes import DOCUMENT_URL, DOWNLOAD_PATH, IMAGE_URL
from nianbao.identity import Seen
from nianbao.items import AttachmentItem, ReportItem

IMAGE_NOISE = re.compile(r"icon|logo|banner|/images?/|/img/|/static/|/style|/skin|/css/|/themes?/|qrcode|ewm", re.I)
# A "detail" that is really a (sub-)column: year sub-columns linked from a 年报 column.
LIST_URL = re.compile(r"/col/col\d+/(index\.html)?$|/(index|default)(_\d+)?\.s?html?$|/$")


# Lists built by JavaScript fetch their pages after `load`: wait until the network is quiet.
BROWSER_META = {"playwright_page_goto_kwargs": {"wait_until": "networkidle"}}


def _headers(response) -> dict:
    return {k.decode("latin-1").lower(): response.headers.get(k).decode("utf-8", "replace")
            for k in response.headers.keys()}


def asked_url(response) -> str:
    """The URL we asked for (before redirects): the identity of a report or attachment."""
    return (response.meta.get("redirect_urls") or [response.request.url])[0]


class NianbaoSpider(scrapy.Spider):
    name = "nianbao"
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        RunState.of(crawler)   # the crawl's state exists before the first request
        platforms.disabled_names(crawler.settings.get("NIANBAO_DISABLE_ADAPTERS"))   # a typo fails here, loudly
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.recheck_unlisted, signal=signals.spider_idle)
        return spider

    @property
    def state(self) -> RunState:
        return RunState.of(self.crawler)

    @property
    def ledger(self):
        return self.state.ledger

    def adapter_for(self, response, source):
        enabled = platforms.enabled(self.state.disabled_adapters)
        names = {a.name for a in enabled}
        name = response.meta.get(M.ADAPTER)
        if name == listwalk.LIST_API.name:
            return listwalk.LIST_API
        if name and name in names:
            return platforms.by_name(name)
        if source.platform and source.platform in names:
            forced = platforms.by_name(source.platform)
            if forced:
                return forced
        return next(a for a in enabled if a.matches(response))

    def wants_browser(self, source) -> bool:
        return source.render == "browser" or (
            source.render == "auto" and self.state.render_decision.get(source.id) == "browser")

    def list_request(self, url, source, **kw) -> scrapy.Request:
        meta = {M.SOURCE_ID: source.id, M.ROLE: "list", **kw.pop("meta", {})}
        if self.wants_browser(source) and meta.get(M.ROLE) == "list" and "playwright" not in meta:
            meta.update(playwright=True, dont_cache=True, **BROWSER_META)
        if meta.get("playwright"):
            meta.update(self.browser_meta())
        callback = self.parse_rendered if meta.get("playwright") else self.parse_list
        request = scrapy.Request(url, callback=callback, errback=self.failed, meta=meta, **kw)
        if not self.first_list_request(request):
            return None
        self.state.list_open(source.id)
        return request

    def first_list_request(self, request) -> bool:
        """Is this list request new? One the dupefilter would drop (a column linked again from its
        own sub-column, a pager link met on every page) would leave its list open for ever and
        the source incomplete."""
        if request.dont_filter:
            return True
        fp = self.crawler.request_fingerprinter.fingerprint(request)
        asked = self.__dict__.setdefault("_list_fps", set())
        if fp in asked:
            return False
        asked.add(fp)
        return True

    @staticmethod
    def browser_meta() -> dict:
        """A rendered list keeps its Playwright page (for the pager) and records every XHR/fetch
        answer with its request (crawler/listwalk.py). The handler is named, not a closure: a
        distributed crawl serialises its requests."""
        return {"playwright_include_page": True, "playwright_page_event_handlers": {"response": "record_xhr"}}

    async def record_xhr(self, response):
        """Playwright `response` handler of rendered lists: the exchanges, per browser page."""
        try:
            page = response.frame.page
        except Exception:   # noqa: BLE001 - a service worker's answer belongs to no page
            return
        store = self.__dict__.setdefault("_xhr", {}).setdefault(id(page), [])
        await listwalk.record_response(store, response)

    async def start(self):
        for source in self.state.sources.values():
            yield self.list_request(source.url, source, meta={M.LIST_ROOT: True})

    # ------------------------------------------------------------ lists
    def parse_list(self, response):
        meta = response.meta
        sid = meta[M.SOURCE_ID]
        source = self.state.sources[sid]
        outcome = meta.get(M.OUTCOME)
        optional = bool(meta.get(M.OPTIONAL))
        if outcome != "ok":
            self.state.counters[f"list_{outcome}"] += 1
            if meta.get(M.BLOCKED):
                self.ledger.mark_blocked(sid, f"{meta[M.BLOCKED]} at {response.url}")
            self.state.list_close(sid, ok=optional)
            return
        self.state.list_close(sid, ok=True)
        yield from self.read_list(response, source)

    def read_list(self, response, source, outputs=None):
        """Read one list page: its entries, printed size and further pages (from the adapter, or
        the given `outputs` of the browser's list walk)."""
        meta = response.meta
        adapter = self.adapter_for(response, source)
        self.state.counters[f"adapter/{adapter.name}"] += 1
        key = meta.get(M.LIST_KEY) or asked_url(response)
        figures = self.state.list_figures(source.id, key)
        reportlike = requests = pager_requests = 0
        on_page, total = set(), None
        outputs = adapter.parse_list(response, source) if outputs is None else outputs
        for out in outputs:
            if isinstance(out, ListEntry):
                if out.url not in figures.found and not self.state.may_add_item(source.id):
                    break   # the item cap: the rest of this page and the list's other pages are not read
                figures.found.add(out.url)
                on_page.add(out.url)
                if titles.classify(out.title) != "noise":
                    reportlike += 1
                yield from self.follow_entry(response, source, out)
            elif isinstance(out, ListTotal):
                total = out
                figures.note(out.items, out.pages)
            else:
                if not self.first_list_request(out):
                    continue
                if source.id in self.state.capped or not self.state.may_add_page(source.id, key):
                    break   # adapters yield further pages last and lazily: nothing of this page is lost
                requests += 1
                pager_requests += not out.meta.get(M.PROBE)
                out.meta.setdefault(M.SOURCE_ID, source.id)
                out.meta.setdefault(M.ROLE, "api" if out.meta.get(M.ADAPTER) and (
                    out.method == "POST" or "api" in out.url or "dataproxy" in out.url
                    or "getMessage" in out.url) else "list")
                out.meta[M.IS_FOLLOWUP] = True
                out.meta.setdefault(M.ADAPTER, adapter.name)
                out.meta[M.LIST_KEY] = key
                callback = self.parse_list
                if meta.get("playwright") and out.meta[M.ROLE] == "list" and not out.meta.get(M.PROBE):
                    out.meta.update(playwright=True, dont_cache=True, **BROWSER_META, **self.browser_meta())
                    callback = self.parse_rendered
                self.state.list_open(source.id)
                yield out.replace(callback=callback, errback=self.failed)
        if hasattr(outputs, "close"):
            outputs.close()
        page = total.page if total is not None and total.page else (None if meta.get(M.IS_FOLLOWUP) else 1)
        if page is not None:
            figures.per_page[page] = len(on_page)
        self.crawler.stats.set_value(f"nianbao/lists/{source.id}", self.state.figures(source.id))
        root = bool(meta.get(M.LIST_ROOT))
        if source.render == "auto" and (root or (M.LIST_ROOT in meta and not meta.get(M.IS_FOLLOWUP))):
            if meta.get("playwright"):
                if root and (reportlike or requests):
                    self.state.set_render_decision(source.id, "browser")
            elif b"<script" in response.body.lower() and (not reportlike and not requests or (
                    not pager_requests and figures.expected() is not None and len(figures.found) < figures.expected())):
                # Nothing readable without JavaScript (the column, or a year sub-column of a static
                # column), or fewer items than the page prints and no pager to reach the others:
                # read it again through Chromium.
                self.state.counters["render_auto_retries"] += 1
                yield self.list_request(response.url, source,
                                        meta={M.LIST_ROOT: root, "playwright": True, "dont_cache": True,
                                              M.ADAPTER: None, **BROWSER_META}, dont_filter=True)
            elif root and (reportlike or requests):
                self.state.set_render_decision(source.id, "static")

    # ------------------------------------------------------------ lists drawn by JavaScript
    async def parse_rendered(self, response):
        """A list page rendered in Chromium: read its DOM like any list, keep its XHR/fetch answers
        as captures, then walk the rest of the list — replaying its list API over plain HTTP, or
        clicking through its pager (crawler/listwalk.py). The page is always closed."""
        page = response.meta.get("playwright_page")
        try:
            for out in self.parse_list(response):
                yield out
            meta = response.meta
            if page is None or meta.get(M.OUTCOME) != "ok":
                return
            source = self.state.sources[meta[M.SOURCE_ID]]
            store = self.__dict__.setdefault("_xhr", {}).setdefault(id(page), [])
            recorded = self.record_exchanges(store, 0, response)
            if self.adapter_for(response, source).name != "generic":
                return   # a family adapter walks its own lists
            key = meta.get(M.LIST_KEY) or asked_url(response)
            # NIANBAO_REPLAY_LIST_API=False: pager clicks only (an API that refuses replays: signed tokens).
            replay = self.settings.getbool("NIANBAO_REPLAY_LIST_API", True)
            learned = listwalk.learn(store, response.url) if replay else None
            if learned is not None:
                for out in self.walk_api(response, source, key, learned):
                    yield out
                return
            cur = 1
            figures = self.state.list_figures(source.id, key)
            while source.id not in self.state.capped:
                before = len(figures.found)
                why = await listwalk.click_next(page, cur)
                if not why:
                    break
                if not self.state.may_add_page(source.id, key):
                    break
                cur += 1
                self.state.counters["browser_pager_clicks"] += 1
                recorded = self.record_exchanges(store, recorded, response)
                learned = listwalk.learn(store, response.url) if replay else None
                if learned is not None and len(learned.seen_pages) > 1:
                    # The clicks showed the list API (two requests differing in one parameter).
                    for out in self.walk_api(response, source, key, learned):
                        yield out
                    return
                html = await page.content()
                for out in self.read_clicked(response, source, key, html, cur, why):
                    yield out
                if len(figures.found) == before:
                    break   # the click brought nothing new: the end (or a pager we cannot drive)
        finally:
            if page is not None:
                self.__dict__.get("_xhr", {}).pop(id(page), None)
                await page.close()

    def record_exchanges(self, store: list, start: int, response) -> int:
        """Captures (WARC request + response) of the XHR/fetch answers recorded since `start`."""
        add = getattr(self.ledger, "add_exchange", None)
        for ex in store[start:]:
            self.state.counters["xhr_captures"] += 1
            if add is None:
                continue   # a remote worker's ledger keeps only what the spider fetched itself
            add(run_id=self.state.run_id, source_id=response.meta.get(M.SOURCE_ID), url=ex.url, method=ex.method,
                request_headers=list(ex.request_headers.items()), request_body=ex.request_body, status=ex.status,
                headers=list(ex.headers.items()), body=ex.body, role="xhr", referer=response.url)
        return len(store)

    def walk_api(self, response, source, key, learned):
        """The list API learned from the rendered page: what its recorded answers printed, then the
        next page asked over plain HTTP (ListApi reads it and asks for the one after)."""
        self.state.counters["list_api_learned"] += 1
        walk = {"exchange": learned.exchange, "spot": learned.spot, "base_url": response.url,
                "per_page": learned.per_page or 1, "total": learned.total}
        k = learned.last_seen() + 1 if learned.seen_pages else 2
        entries = [e for es in learned.seen_pages.values() for e in es]

        def outputs():
            yield from entries
            yield ListTotal(items=learned.total, pages=learned.pages if learned.total is None else None,
                                     page=learned.last_seen() or 1)
            done = learned.ended or (learned.total is not None and (k - 1) * walk["per_page"] >= learned.total)
            if not done:
                prev = {e.url for e in learned.seen_pages.get(k - 1, [])}
                yield listwalk.request_for(walk, k, response, prev)
        sub = response.replace(request=response.request.replace(
            meta={M.SOURCE_ID: source.id, M.LIST_KEY: key, M.IS_FOLLOWUP: True, M.ADAPTER: "generic",
                  M.ROLE: "list"}))
        yield from self.read_list(sub, source, outputs())

    def read_clicked(self, response, source, key, html: str, k: int, why: str):
        """Page k of a list reached by a pager click: its DOM is kept as a capture and read."""
        body = html.encode("utf-8")
        cap = self.ledger.add_capture(
            run_id=self.state.run_id, source_id=source.id, url=f"{asked_url(response)}#nianbao-page={k}",
            final_url=response.url, status=200, headers=[("Content-Type", "text/html; charset=utf-8")], body=body,
            method="GET", rendered=True, outcome="ok", error=None, role="list", referer=response.url)
        self.state.counters["rendered_pages"] += 1
        meta = {M.SOURCE_ID: source.id, M.LIST_KEY: key, M.IS_FOLLOWUP: True, M.ADAPTER: "generic",
                M.ROLE: "list", M.CAPTURE_ID: cap.id, M.OUTCOME: "ok", "nianbao_click": why}
        page = HtmlResponse(response.url, body=body, encoding="utf-8", request=scrapy.Request(response.url, meta=meta))
        # Only the page's entries and printed size: its pager is the browser's business.
        outputs = (x for x in platforms.by_name("generic").parse_list(page, source)
                   if not isinstance(x, scrapy.Request))
        yield from self.read_list(page, source, outputs)

    def follow_entry(self, response, source, entry: ListEntry):
        if entry.url in self.state.listed[source.id]:
            return
        self.state.listed[source.id].add(entry.url)
        kind = titles.classify(entry.title)
        if kind == "noise":
            self.state.skip(source.id, entry.url, entry.title, "noise")
            return
        if LIST_URL.search(urlparse(entry.url).path) and not titles.agency(entry.title):
            # A year sub-column ("2023年政府信息公开年报"): walk it as part of this list.
            self.state.counters["subcolumns"] += 1
            request = self.list_request(entry.url, source, meta={M.LIST_ROOT: False},
                                        headers={"Referer": response.url})
            if request is not None:
                yield request
            return
        self.state.seen_reports[source.id].add(entry.url)
        meta = {M.SOURCE_ID: source.id, M.ROLE: "detail", M.LIST_TITLE: entry.title,
                M.LIST_DATE: entry.date, M.KIND: kind, M.REFERER: response.url}
        if entry.url in self.state.resume_urls and self.ledger.stored(entry.url, "detail"):
            # Archived by the interrupted run: re-read its attachments from the WARC, fetch nothing.
            self.state.counters["resume_skipped_details"] += 1
            yield from self.replay_detail(entry.url, meta)
            return
        yield scrapy.Request(entry.url, callback=self.parse_detail, errback=self.failed, meta=meta,
                             headers={"Referer": response.url, **self.conditional(entry.url, "detail")})

    def conditional(self, url: str, role: str) -> dict:
        """If-None-Match / If-Modified-Since from the last capture — only when what that capture
        brought was archived: a run killed between capture and storage must not earn a 304 for
        bytes the archive never kept."""
        prev = self.ledger.previous_capture(url)
        if not prev or not self.ledger.stored(url, role):
            return {}
        h = {}
        if prev.get("etag"):
            h["If-None-Match"] = prev["etag"]
        if prev.get("last_modified"):
            h["If-Modified-Since"] = prev["last_modified"]
        if h:
            self.state.counters["conditional_requests"] += 1
        return h

    def replay_detail(self, url, meta):
        """Attachment requests from the WARC bytes of the page's last full capture."""
        page = self.ledger.last_page_body(url)
        if page is None:
            self.state.counters["replay_missing_capture"] += 1
            return
        final_url, headers, body = page
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if "html" not in ctype.lower() and not body.lstrip()[:1] == b"<":
            return   # the "page" was itself a file: it links nothing
        resp = HtmlResponse(final_url, body=body, headers=headers, request=scrapy.Request(url, meta=meta))
        yield from self.attachment_requests(resp, meta, url)

    # ------------------------------------------------------------ details and attachments
    def parse_detail(self, response):
        meta = response.meta
        outcome = meta.get(M.OUTCOME)
        if meta.get(M.BLOCKED):
            self.ledger.mark_blocked(meta[M.SOURCE_ID], f"{meta[M.BLOCKED]} at {response.url}")
        if outcome not in ("ok", "not_modified"):
            return
        source = self.state.sources[meta[M.SOURCE_ID]]
        if outcome == "ok" and self.looks_like_list(response):
            self.state.seen_reports[source.id].discard(asked_url(response))
            self.state.counters["subcolumns"] += 1
            self.state.list_open(source.id)
            self.state.list_close(source.id, ok=True)
            yield from self.read_list(response.replace(), source)
            return
        is_html = outcome == "ok" and isinstance(response, HtmlResponse)
        files = list(self.file_links(response)) if is_html else []
        links = self.link_counts(files)
        seen = Seen(list_title=meta.get(M.LIST_TITLE), list_date=meta.get(M.LIST_DATE),
                    list_kind=meta.get(M.KIND), attachments=links.get("attachments", 0),
                    images=links.get("images", 0), region=source.region)
        yield ReportItem(source_id=meta[M.SOURCE_ID], url=asked_url(response),
                         capture_id=meta.get(M.CAPTURE_ID),
                         body=response.body if outcome == "ok" else None,
                         headers=_headers(response), seen=seen,
                         not_modified=outcome == "not_modified")
        if is_html:
            yield from self.attachment_requests(response, meta, asked_url(response), files)
        elif outcome == "not_modified":
            # An unchanged page still links files that may have changed: read the links from the
            # page's last capture and ask for each file conditionally.
            self.state.counters["replayed_not_modified_details"] += 1
            yield from self.replay_detail(asked_url(response), meta)

    def looks_like_list(self, response) -> bool:
        if not isinstance(response, HtmlResponse):
            return False
        for adapter in platforms.enabled(self.state.disabled_adapters):   # CMS list machinery they recognise
            verdict = adapter.is_list_page(response)
            if verdict is not None:
                return verdict
        # The page's structure: one article with neighbour links is a detail (crawler/listdetail.py).
        kind = listdetail.shape(response.selector, response.url).kind
        if kind != "unknown":
            self.state.counters[f"page_shape/{kind}"] += 1
            return kind == "list"
        seen = set()
        for a in response.css("a[href]"):
            t = clean(a.attrib.get("title") or " ".join(a.css("::text").getall()))
            if titles.classify(t) != "noise" and titles.agency(t):
                seen.add(urljoin(response.url, a.attrib["href"]))
        return len(seen - {response.url}) >= 3

    def file_links(self, response):
        """(url, name, role) of the files a detail page links to, resolved against the page URL."""
        for a in response.css("a[href]"):
            href = a.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "#", "mailto:")):
                continue
            url = urljoin(response.url, href)
            if urlparse(url).scheme not in ("http", "https"):
                continue
            if DOCUMENT_URL.search(url) or DOWNLOAD_PATH.search(url) or "nfw-cms-attachment" in (a.attrib.get("class") or ""):
                name = (clean(" ".join(a.css("::text").getall())) or a.attrib.get("download")
                        or dict(parse_qsl(urlparse(url).query)).get("showname")
                        or unquote(urlparse(url).path.rsplit("/", 1)[-1]))
                yield url, name, "attachment"
            elif IMAGE_URL.search(url) and not IMAGE_NOISE.search(url):
                yield url, clean(" ".join(a.css("::text").getall())) or None, "image"
        for src in response.css("iframe::attr(src), embed::attr(src), object::attr(data)").getall():
            q = dict(parse_qsl(urlparse(src).query))
            if q.get("file"):   # pdf.js viewer: the real file is the `file=` parameter
                url = urljoin(response.url, unquote(q["file"]))
                yield url, unquote(urlparse(url).path.rsplit("/", 1)[-1]), "attachment"
        for src in response.css("img::attr(src)").getall():
            url = urljoin(response.url, src.strip())
            if urlparse(url).scheme in ("http", "https") and IMAGE_URL.search(url) and not IMAGE_NOISE.search(url) \
                    and not src.startswith("data:"):
                yield url, unquote(urlparse(url).path.rsplit("/", 1)[-1]), "image"

    @staticmethod
    def link_counts(files) -> dict:
        roles = [r for _, _, r in files]
        return {"attachments": roles.count("attachment"), "images": roles.count("image")}

    def attachment_requests(self, response, meta, report_url, files=None):
        seen = set()
        for url, name, role in (self.file_links(response) if files is None else files):
            url = url.split("#")[0]
            if url in seen or url == report_url:
                continue
            seen.add(url)
            m = {M.SOURCE_ID: meta[M.SOURCE_ID], M.ROLE: role, M.REPORT_URL: report_url, M.FILENAME: name}
            if url in self.state.resume_urls and self.ledger.attachment_archived(url):
                self.state.counters["resume_skipped_attachments"] += 1
                continue
            yield scrapy.Request(url, callback=self.parse_attachment, errback=self.failed, meta=m,
                                 headers={"Referer": response.url, **self.conditional(url, role)})

    def parse_attachment(self, response):
        meta = response.meta
        if meta.get(M.OUTCOME) not in ("ok", "not_modified"):
            return
        yield AttachmentItem(source_id=meta[M.SOURCE_ID], report_url=meta[M.REPORT_URL],
                             url=asked_url(response), capture_id=meta.get(M.CAPTURE_ID),
                             body=response.body if meta[M.OUTCOME] == "ok" else None,
                             headers=_headers(response), filename=meta.get(M.FILENAME),
                             not_modified=meta[M.OUTCOME] == "not_modified", role=meta.get(M.ROLE))

    # ------------------------------------------------------------ reports a list no longer shows
    def recheck_unlisted(self, spider=None):
        """When the crawl falls idle, ask once more for the archived reports that a complete list
        no longer shows: only their own 404/410 (or a second run without them) proves them gone
        (docs/archive.md, "Gone"). The answers are kept as captures; nothing is stored from them."""
        asked = self.__dict__.setdefault("_rechecked", set())
        state = self.state
        if getattr(state, "redis", None) is not None:
            # A distributed worker falls idle while others still read lists: wait for the end.
            from crawler.distributed import protocol
            if not protocol.crawl_done(state.redis, state.keys, state.worker):
                return
        # This process's complete lists, or those whose every page of this run answered as the
        # archive shows (a distributed worker reads only its share of a list).
        done = state.complete_lists | self.ledger.lists_answered(state.run_id)
        new = [(sid, url) for sid in sorted(done)
               for url in self.ledger.unlisted_reports(state.run_id, sid, state.seen_reports.get(sid, set()))
               if url not in asked]
        asked.update(url for _, url in new)
        if getattr(state, "redis", None) is not None:   # one worker asks, not every one
            new = [(sid, url) for sid, url in new
                   if protocol.claim_recheck(state.redis, state.keys, state.run_id, url)]
        for sid, url in new:
            # dont_filter: a worker idle early must not make a later detail request a duplicate
            self.crawler.engine.crawl(scrapy.Request(
                url, callback=self.parse_recheck, errback=self.failed, dont_filter=True,
                meta={M.SOURCE_ID: sid, M.ROLE: "detail"}, headers=self.conditional(url, "detail")))
        if new:
            state.counters["gone_rechecks"] += len(new)
            raise DontCloseSpider

    def parse_recheck(self, response):
        self.state.counters[f"gone_recheck/{response.status}"] += 1
        return ()

    def failed(self, failure):
        request = failure.request
        meta = request.meta
        page = meta.get("playwright_page")
        if page is not None:   # a rendered list that failed still holds its browser page
            self.__dict__.get("_xhr", {}).pop(id(page), None)
            asyncio.ensure_future(page.close())
        self.state.counters["request_failures"] += 1
        if meta.get(M.ROLE) in ("list", "api") and meta.get(M.SOURCE_ID):
            self.state.list_close(meta[M.SOURCE_ID], ok=bool(meta.get(M.OPTIONAL)))
        self.logger.warning("failed %s: %s", request.url, failure.value)
