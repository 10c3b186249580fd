"""Downloader middlewares.

CaptureMiddleware: every response and failure becomes a `captures` row (+ WARC record): outcome
ok / not_modified / blocked / error / too_large / robots_denied / off_scope.
CapturedCompressionMiddleware and CapturedRedirectMiddleware: Scrapy's own, but what they drop in
process_response (a gzip bomb, a redirect loop, too many redirects) — which no process_exception
ever sees — becomes a capture too.
CrawlDelayMiddleware: robots.txt `Crawl-delay` (which Scrapy ignores) and per-source
`politeness.download_delay`, enforced as a minimum spacing per host whatever AutoThrottle does.
"""
from __future__ import annotations

from urllib.parse import urlparse

from scrapy import Request, signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler import antibot
from crawler import meta as M
from crawler.runstate import RunState
from crawler.scope import OffScope, browser_refused
from nianbao.filetypes import DOCUMENT_URL

# Sent (request=, response=, outcome=, error=) when a middleware after CaptureMiddleware drops a
# response by raising from process_response: CaptureMiddleware records it (without its body).
response_dropped = object()
# Fingerprints of the redirect hops so far (a loop is a hop whose request was already made).
REDIRECT_FPS = "nianbao_redirect_fps"


def _headers(h) -> list[tuple[str, str]]:
    out = []
    for k, vs in h.items():
        for v in vs:
            out.append((k.decode("latin-1"), v.decode("utf-8", "replace")))
    return out


def _no_fragment(url: str) -> str:
    """A fragment never reaches the server (a gkmlpt `index#2611`): the capture is of the URL without it."""
    return url.split("#", 1)[0]


def _html_instead_of_file(request, body: bytes) -> bool:
    """An error page served with 200 under a .pdf/.doc… URL."""
    if request.meta.get(M.ROLE) != "attachment":
        return False
    promised = DOCUMENT_URL.search(request.url) or DOCUMENT_URL.search(urlparse(request.url).path)
    head = body[:512].lstrip().lower()
    return bool(promised) and (head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<body" in head)


class CaptureMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        # A rendered DOM is never streamed through the download handler's size check, and it is
        # held whole by Chromium, Playwright and Scrapy at once: its own, smaller cap.
        self.rendered_max = crawler.settings.getint("NIANBAO_MAX_RENDERED_BYTES")
        self.state = RunState.of(crawler)
        crawler.signals.connect(self.browser_refused, signal=browser_refused)
        crawler.signals.connect(self.record_dropped, signal=response_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def browser_refused(self, request, exception):
        """RenderedScopeMiddleware (585, so before process_response here) refused Chromium's final URL."""
        self.process_exception(request, exception)

    def record_dropped(self, request, response, outcome, error):
        """A response a later middleware refused (CapturedCompressionMiddleware…): its status and
        headers are kept, never its body."""
        self._add(request, response, None, outcome, error)

    def _rendered_limit(self, maxsize: int) -> int:
        """The smaller of the two caps that are set (0: none)."""
        return min((v for v in (maxsize, self.rendered_max) if v), default=0)

    def _role(self, request):
        role = request.meta.get(M.ROLE)
        if not role and request.url.endswith("/robots.txt"):
            role = "robots"
        return role

    def process_response(self, request, response, spider=None):
        state = self.state
        rendered = bool(request.meta.get("playwright")) or "playwright" in (response.flags or [])
        blocked = antibot.detect(response.status, response.body)
        error = None
        body = response.body
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if response.status == 304:
            outcome = "not_modified"
        elif blocked:
            outcome = "blocked"
        elif response.status >= 400:
            outcome, error = "error", f"HTTP {response.status}"
        elif rendered and (limit := self._rendered_limit(maxsize)) and len(body) > limit:
            # The download handler's limit does not apply to a rendered DOM: apply it here.
            outcome, error, body = "too_large", f"rendered DOM of {len(body)} bytes > {limit}", None
        elif _html_instead_of_file(request, body):
            outcome, error = "error", "HTML page served under a file URL"
        elif request.meta.get(M.ROLE) in ("list", "detail", "attachment") and (
                soft := antibot.soft_error(response.status, body, request.meta.get(M.ROLE))):
            # Neither an empty list page (that would end a list) nor a report: an error.
            outcome, error = "error", f"soft 404: HTTP 200 page says “{soft}”"
        else:
            outcome = "ok"
        self._add(request, response, body if outcome != "not_modified" else None, outcome,
                  f"blocked: {blocked}" if blocked else error, rendered)
        request.meta[M.BLOCKED] = blocked
        if rendered:
            state.counters["rendered_pages"] += 1
        if blocked:
            state.counters[f"blocked/{blocked}"] += 1
        return response

    def _add(self, request, response, body, outcome, error, rendered=False):
        state = self.state
        capture = state.ledger.add_capture(
            run_id=state.run_id, source_id=request.meta.get(M.SOURCE_ID),
            url=_no_fragment((request.meta.get("redirect_urls") or [request.url])[0]),
            final_url=_no_fragment(response.url), status=response.status,
            headers=_headers(response.headers), body=body,
            request_headers=_headers(request.headers), method=request.method, rendered=rendered,
            outcome=outcome, error=error,
            role=self._role(request), referer=request.headers.get("Referer", b"").decode() or None)
        request.meta[M.CAPTURE_ID] = capture.id
        request.meta[M.OUTCOME] = outcome
        state.counters[f"outcome/{outcome}"] += 1

    def process_exception(self, request, exception, spider=None):
        text = f"{type(exception).__name__}: {exception}"
        if isinstance(exception, OffScope):   # refused by crawler/scope.py: recorded, never fetched
            outcome = "off_scope"
        elif isinstance(exception, IgnoreRequest):
            if "robots.txt" not in str(exception):
                return None
            outcome = "robots_denied"
        else:
            low = text.lower()
            outcome = "too_large" if ("maxsize" in low or "max size" in low) else "error"
        state = self.state
        capture = state.ledger.add_capture(
            run_id=state.run_id, source_id=request.meta.get(M.SOURCE_ID), url=_no_fragment(request.url),
            request_headers=_headers(request.headers), method=request.method,
            rendered=bool(request.meta.get("playwright")), outcome=outcome, error=text,
            role=self._role(request), referer=request.headers.get("Referer", b"").decode() or None)
        request.meta[M.CAPTURE_ID] = capture.id
        request.meta[M.OUTCOME] = outcome
        state.counters[f"outcome/{outcome}"] += 1
        return None


class CapturedCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware (replacing it at 590). A body that inflates past
    DOWNLOAD_MAXSIZE (a gzip bomb: 130 KB on the wire, 128 MB inflated) is refused by Scrapy with
    IgnoreRequest from process_response; it is recorded here as `too_large`."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        mw.crawler = crawler
        return mw

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            enc = b", ".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
            self.crawler.signals.send_catch_log(response_dropped, request=request, response=response,
                                                outcome="too_large", error=f"Content-Encoding {enc}: {exc}")
            raise


class CapturedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware (replacing it at 600). A redirect back to a hop of its own
    chain (A → B → A) would be dropped without a trace by the dupefilter (or followed until
    REDIRECT_MAX_TIMES with dont_filter); too many redirects raise IgnoreRequest from
    process_response. Both are recorded as captures with outcome `error` and then dropped."""

    def process_response(self, request, response, spider=None):
        chain = [*request.meta.get("redirect_urls", []), request.url]
        try:
            out = super().process_response(request, response)
        except IgnoreRequest as exc:
            self._drop(request, response, f"{exc}: " + " → ".join(chain))
            raise
        if not isinstance(out, Request):
            return out
        fp = self.crawler.request_fingerprinter.fingerprint
        seen = [*request.meta.get(REDIRECT_FPS, []), fp(request).hex()]
        if fp(out).hex() in seen:
            reason = "redirect loop: " + " → ".join([*chain, out.url])
            self._drop(request, response, reason)
            raise IgnoreRequest(reason)
        out.meta[REDIRECT_FPS] = seen
        return out

    def _drop(self, request, response, reason):
        self.crawler.signals.send_catch_log(response_dropped, request=request, response=response,
                                            outcome="error", error=reason)


class CrawlDelayMiddleware:
    """Space requests to one host by robots.txt `Crawl-delay` (capped) or the source's own
    `politeness.download_delay`: the downloader slot's delay (no jitter), kept as a floor that
    AutoThrottle's adjustments never go below."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("NIANBAO_MAX_CRAWL_DELAY", 10.0)
        self.obey = crawler.settings.getbool("ROBOTSTXT_OBEY")
        self.ua = crawler.settings.get("USER_AGENT")
        self.state = RunState.of(crawler)
        s = crawler.settings
        # The delay Scrapy gives a new slot (AutoThrottle starts it at AUTOTHROTTLE_START_DELAY).
        self.start_delay = max(s.getfloat("DOWNLOAD_DELAY"), s.getfloat("AUTOTHROTTLE_START_DELAY")) \
            if s.getbool("AUTOTHROTTLE_ENABLED") else s.getfloat("DOWNLOAD_DELAY")
        self.floors: dict[str, float] = {}   # downloader slot key → minimum delay
        # Connected after AutoThrottle's own handler (extensions are built before the downloader's
        # middlewares), so the floor is restored right after each of its adjustments.
        crawler.signals.connect(self.keep_floor, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        if request.meta.get("dont_obey_robotstxt") or request.url.endswith("/robots.txt"):
            return None
        delay = 0.0
        if self.obey:
            robots = self.crawler.get_downloader_middleware(RobotsTxtMiddleware)
            if robots is not None:
                rp = await robots.robot_parser(request)
                if rp is not None and hasattr(rp, "crawl_delay"):
                    delay = min(rp.crawl_delay(self.ua) or 0.0, self.cap)
        sid = request.meta.get(M.SOURCE_ID)
        if sid:
            src = self.state.sources.get(sid)
            if src and src.politeness.get("download_delay"):
                delay = max(delay, float(src.politeness["download_delay"]))
        if delay <= 0:
            return None
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        self.floors[key] = delay
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0
        else:
            # The slot is made when the request is enqueued, from the DOWNLOAD_SLOTS entry for its
            # key. Scrapy has no public call to make a slot early: the entry is added to the
            # downloader's copy of that setting (per_slot_settings, read only at slot creation).
            entry = downloader.per_slot_settings.setdefault(key, {})
            entry["delay"] = max(entry.get("delay", self.start_delay), delay)
            entry["jitter"] = 0
        self.state.counters["crawl_delay_requests"] += 1
        return None

    def keep_floor(self, response, request, spider=None):
        key = request.meta.get("download_slot")
        floor = self.floors.get(key)
        if not floor:
            return
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay < floor:
            slot.delay = floor
