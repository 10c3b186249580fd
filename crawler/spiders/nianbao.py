"""The one generic spider: registry → platform adapter → list pages → details → attachments.

It yields what it fetched; it never parses report tables (that is pipelines/). Every request
carries `meta[M.ROLE]` (crawler/meta.py) (list, api, detail, attachment, image) for the captures table.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urljoin, urlparse

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse

from crawler import meta as M
from crawler import platforms
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
        disabled = self.state.disabled_adapters
        name = response.meta.get(M.ADAPTER)
        if name and name not in disabled:
            return platforms.by_name(name)
        if source.platform and source.platform not in disabled:
            forced = platforms.by_name(source.platform)
            if forced:
                return forced
        return next(a for a in platforms.ADAPTERS if a.name not in disabled and a.matches(response))

    def wants_browser(self, source) -> bool:
        return source.render == "browser" or (
            source.render == "auto" and self.state.render_decision.get(source.id) == "browser")

    def list_request(self, url, source, **kw) -> scrapy.Request:
        meta = {M.SOURCE_ID: source.id, M.ROLE: "list", **kw.pop("meta", {})}
        if self.wants_browser(source) and meta.get(M.ROLE) == "list" and "playwright" not in meta:
            meta.update(playwright=True, dont_cache=True, **BROWSER_META)
        self.state.list_open(source.id)
        return scrapy.Request(url, callback=self.parse_list, errback=self.failed, meta=meta, **kw)

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

    def read_list(self, response, source):
        meta = response.meta
        adapter = self.adapter_for(response, source)
        self.state.counters[f"adapter/{adapter.name}"] += 1
        key = meta.get(M.LIST_KEY) or asked_url(response)
        figures = self.state.list_figures(source.id, key)
        reportlike = requests = 0
        on_page, total = set(), None
        outputs = adapter.parse_list(response, source)
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
                if source.id in self.state.capped or not self.state.may_add_page(source.id, key):
                    break   # adapters yield further pages last and lazily: nothing of this page is lost
                requests += 1
                out.meta.setdefault(M.SOURCE_ID, source.id)
                out.meta.setdefault(M.ROLE, "api" if out.meta.get(M.ADAPTER) and (
                    out.method == "POST" or "api" in out.url or "dataproxy" in out.url
                    or "getMessage" in out.url) else "list")
                out.meta[M.IS_FOLLOWUP] = True
                out.meta.setdefault(M.ADAPTER, adapter.name)
                out.meta[M.LIST_KEY] = key
                if meta.get("playwright") and out.meta[M.ROLE] == "list" and not out.meta.get(M.PROBE):
                    out.meta.update(playwright=True, dont_cache=True, **BROWSER_META)
                self.state.list_open(source.id)
                yield out.replace(callback=self.parse_list, errback=self.failed)
        if hasattr(outputs, "close"):
            outputs.close()
        page = total.page if total is not None and total.page else (None if meta.get(M.IS_FOLLOWUP) else 1)
        if page is not None:
            figures.per_page[page] = len(on_page)
        self.crawler.stats.set_value(f"nianbao/lists/{source.id}", self.state.figures(source.id))
        if meta.get(M.LIST_ROOT) and source.render == "auto":
            if meta.get("playwright"):
                if reportlike or requests:
                    self.state.set_render_decision(source.id, "browser")
            elif not reportlike and not requests and b"<script" in response.body.lower():
                # Nothing readable without JavaScript: read it again through Chromium.
                self.state.counters["render_auto_retries"] += 1
                yield self.list_request(response.url, source,
                                        meta={M.LIST_ROOT: True, "playwright": True, "dont_cache": True,
                                              M.ADAPTER: None, **BROWSER_META}, dont_filter=True)
            elif reportlike or requests:
                self.state.set_render_decision(source.id, "static")

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
            yield self.list_request(entry.url, source, meta={M.LIST_ROOT: False},
                                    headers={"Referer": response.url})
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
        links = self.link_counts(response) if is_html else {}
        seen = Seen(list_title=meta.get(M.LIST_TITLE), list_date=meta.get(M.LIST_DATE),
                    list_kind=meta.get(M.KIND), attachments=links.get("attachments", 0),
                    images=links.get("images", 0), region=source.region)
        yield ReportItem(source_id=meta[M.SOURCE_ID], url=asked_url(response),
                         capture_id=meta.get(M.CAPTURE_ID),
                         body=response.body if outcome == "ok" else None,
                         headers=_headers(response), seen=seen,
                         not_modified=outcome == "not_modified")
        if is_html:
            yield from self.attachment_requests(response, meta, asked_url(response))
        elif outcome == "not_modified":
            # An unchanged page still links files that may have changed: read the links from the
            # page's last capture and ask for each file conditionally.
            self.state.counters["replayed_not_modified_details"] += 1
            yield from self.replay_detail(asked_url(response), meta)

    def looks_like_list(self, response) -> bool:
        if not isinstance(response, HtmlResponse):
            return False
        for adapter in platforms.ADAPTERS:   # CMS list machinery the adapters recognise
            verdict = adapter.is_list_page(response)
            if verdict is not None:
                return verdict
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

    def link_counts(self, response) -> dict:
        roles = [r for _, _, r in self.file_links(response)]
        return {"attachments": roles.count("attachment"), "images": roles.count("image")}

    def attachment_requests(self, response, meta, report_url):
        seen = set()
        for url, name, role in self.file_links(response):
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
        for sid, url in new:
            asked.add(url)
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
        self.state.counters["request_failures"] += 1
        if meta.get(M.ROLE) in ("list", "api") and meta.get(M.SOURCE_ID):
            self.state.list_close(meta[M.SOURCE_ID], ok=bool(meta.get(M.OPTIONAL)))
        self.logger.warning("failed %s: %s", request.url, failure.value)
