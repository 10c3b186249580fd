"""Thin Scrapy item pipeline: fetched item → extraction (pure) → identity → archive writer.

What the crawler saw (`item.seen`) and what the extractor read are settled into one identity by
nianbao.identity, the same function re-extraction uses; the extractor's tables are never
touched here.
"""
from __future__ import annotations

import asyncio

from scrapy import signals

from archive.writer import WriterThread
from nianbao import identity
from nianbao.items import AttachmentItem, ReportItem
from pipelines.bounded import DEFAULT_MAX_TASKS, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, BoundedExtractor
from pipelines.extract.document import extract_document


class ArchivePipeline:
    """Extraction runs in bounded worker processes (NIANBAO_EXTRACT_PROCESSES, default 1; 0 =
    inline, unbounded, for tests) so the reactor keeps fetching while a PDF is parsed and one
    hostile file costs at most NIANBAO_EXTRACT_TIMEOUT seconds and NIANBAO_EXTRACT_MEMORY_MB.
    Writing is off the reactor too: one writer thread with its own connection stores items in
    transactions of at most NIANBAO_WRITE_BATCH items or NIANBAO_WRITE_BATCH_SECONDS
    (archive.writer.WriterThread); an item counts as stored once its batch is committed. An
    attachment is stored only after its report page is."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        # Its own connection to the archive (SQLite WAL: the crawler's ledger writes beside it).
        self.writer = WriterThread(settings.get("NIANBAO_DB"), settings.get("NIANBAO_WARC_DIR"),
                                   batch_items=settings.getint("NIANBAO_WRITE_BATCH", 50),
                                   batch_seconds=settings.getfloat("NIANBAO_WRITE_BATCH_SECONDS", 0.25),
                                   derive_every=settings.getint("NIANBAO_DERIVE_BATCH", 50))
        n = settings.getint("NIANBAO_EXTRACT_PROCESSES", 1)
        self.pool = BoundedExtractor(n, timeout=settings.getfloat("NIANBAO_EXTRACT_TIMEOUT", DEFAULT_TIMEOUT_S),
                                     memory_mb=settings.getint("NIANBAO_EXTRACT_MEMORY_MB", DEFAULT_MEMORY_MB),
                                     max_tasks=settings.getint("NIANBAO_EXTRACT_MAX_TASKS", DEFAULT_MAX_TASKS)
                                     ) if n > 0 else None
        # Report URL → done when its page is stored; only pages still being stored are kept (an
        # attachment of a page already stored finds none and goes ahead): it does not grow with the crawl.
        self.pages: dict[str, asyncio.Future] = {}
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def closed(self, spider=None):
        if self.pool is not None:
            self.pool.close()
        self.writer.close()

    async def extract(self, item) -> dict:
        if self.pool is None:
            doc = extract_document(item.body, item.url, item.headers)
        else:
            doc = await self.pool.extract(item.body, item.url, item.headers)
        code = (doc.get("error") or {}).get("code") or ""
        if code.startswith("extract_"):   # a limit was hit: kept with the version, counted for the run
            self.count(f"extract_errors/{code}")
        return doc

    def count(self, key: str, n: float = 1) -> None:
        self.stats.inc_value(f"nianbao/{key}", n)

    async def write(self, method: str, **kw):
        """An Archive call run by the writer thread; returns once its batch is committed."""
        try:
            return await asyncio.wrap_future(self.writer.submit(method, **kw))
        finally:
            self.stats.set_value("nianbao/store_cpu_seconds", round(self.writer.cpu_seconds, 3))

    async def process_item(self, item, spider=None):
        if isinstance(item, ReportItem):
            if item.not_modified or item.body is None:
                await self.write("touch_report", url=item.url)
                self.count("reports_not_modified")
                return item
            stored = self.pages[item.url] = asyncio.get_running_loop().create_future()
            try:
                doc = await self.extract(item)
                ident = identity.settle(item.seen, doc)
                _, _, new = await self.write(
                    "store_document", capture_id=item.capture_id, source_id=item.source_id, url=item.url,
                    doc=doc, identity=ident, seen=item.seen)
                self.count("report_versions_new" if new else "reports_unchanged")
            finally:
                stored.set_result(None)
                if self.pages.get(item.url) is stored:
                    del self.pages[item.url]
        elif isinstance(item, AttachmentItem):
            if item.body is None:
                self.count("attachments_not_modified")
                return item
            doc = await self.extract(item)
            page = self.pages.get(item.report_url)
            if page is not None:
                await page
            await self.write("store_attachment", report_url=item.report_url, capture_id=item.capture_id,
                             url=item.url, filename=item.filename, doc=doc)
            self.count("attachments" if item.role != "image" else "images")
        return item
