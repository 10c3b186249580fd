"""One download handler for http and https: plain Scrapy HTTP unless a request asks for the browser.

scrapy-playwright's handler starts a Playwright node driver when the engine starts, one per
scheme it is registered for, although most portals never need a browser (two drivers, ~250 MB,
for nothing). This handler fetches with Scrapy's HTTP/1.1 handler and creates the Playwright
handler, shared by both schemes, only when the first request marked `meta["playwright"]` comes;
the driver and Chromium then start once, for the rest of the crawl.
"""
from __future__ import annotations

import asyncio
import weakref

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

# crawler → its one Playwright handler (and the lock that makes sure only one is created).
_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Browser:
    def __init__(self):
        self.handler = None
        self.lock = asyncio.Lock()
        self.closed = False


def _shared(crawler) -> _Browser:
    b = _SHARED.get(crawler)
    if b is None:
        b = _SHARED[crawler] = _Browser()
    return b


class LazyBrowserDownloadHandler:
    lazy = False   # the HTTP part is wanted from the first request (robots.txt)

    def __init__(self, crawler):
        self.crawler = crawler
        self.http = HTTP11DownloadHandler.from_crawler(crawler)
        self.browser = _shared(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def started(self) -> bool:
        """Has this crawl started its Playwright handler (driver)?"""
        return self.browser.handler is not None

    async def _playwright(self):
        b = self.browser
        async with b.lock:
            if b.handler is None:
                if b.closed:
                    raise RuntimeError("the crawl's download handlers are closed")
                from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
                handler = ScrapyPlaywrightDownloadHandler.from_crawler(self.crawler)
                # Its engine_started hook has long fired: start the driver now (Chromium itself
                # is launched by its first page).
                await handler._maybe_launch_in_thread()
                b.handler = handler
                self.crawler.stats.inc_value("nianbao/browser_handler_started")
        return b.handler

    async def download_request(self, request):
        if request.meta.get("playwright"):
            handler = await self._playwright()
            return await handler.download_request(request)
        return await self.http.download_request(request)

    async def close(self) -> None:
        await self.http.close()
        b = self.browser
        async with b.lock:
            handler, b.handler, b.closed = b.handler, None, True
        if handler is not None:   # the first scheme's handler to close closes the shared one
            await handler.close()
