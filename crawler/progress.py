"""Progress lines on long crawls: pages fetched, reports stored, errors.

A crawl of real portals runs for hours with the log at WARNING, so without this nothing says it
is alive. One plain line goes to stderr every NIANBAO_PROGRESS_PAGES pages, and after
NIANBAO_PROGRESS_SECONDS without a line, plus a last one when the spider closes. Off unless
NIANBAO_PROGRESS is set (`nianbao crawl --progress`, or stderr is a terminal).
"""
from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call


class ProgressExtension:
    def __init__(self, stats, every_pages: int = 100, every_seconds: float = 30.0, stream=None):
        self.stats = stats
        self.every_pages = max(1, every_pages)
        self.every_seconds = every_seconds
        self.stream = stream
        self.task = None
        self.started = self.last_line = time.monotonic()
        self.next_mark = self.every_pages
        self.pages = 0   # counted here: the core stats may see a response after this extension

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NIANBAO_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler.stats, s.getint("NIANBAO_PROGRESS_PAGES", 100), s.getfloat("NIANBAO_PROGRESS_SECONDS", 30.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def counts(self) -> dict:
        get = self.stats.get_value
        return {"pages": self.pages,
                # a stored report is a new report or a new version of one (pipelines/scrapy_pipelines.py)
                "stored": get("nianbao/report_versions_new", 0),
                "unchanged": get("nianbao/reports_unchanged", 0) + get("nianbao/reports_not_modified", 0),
                "errors": get("log_count/ERROR", 0)}

    def line(self, final: bool = False) -> str:
        c = self.counts()
        elapsed = int(time.monotonic() - self.started)
        head = "crawl done" if final else "crawl progress"
        return (f"{head}: {c['pages']} pages fetched, {c['stored']} reports stored, "
                f"{c['unchanged']} unchanged, {c['errors']} errors ({elapsed // 60}m{elapsed % 60:02d}s)")

    def emit(self, final: bool = False) -> None:
        self.last_line = time.monotonic()
        stream = self.stream or sys.stderr   # looked up late: tests and the CLI may swap stderr
        print(self.line(final), file=stream, flush=True)

    # ------------------------------------------------------------ signals
    def opened(self, spider=None):
        self.started = self.last_line = time.monotonic()
        if self.every_seconds > 0:
            self.task = create_looping_call(self.tick)
            self.task.start(min(self.every_seconds, 5.0), now=False)

    def tick(self) -> None:
        if time.monotonic() - self.last_line >= self.every_seconds:
            self.emit()

    def response(self, response=None, request=None, spider=None):
        self.pages += 1
        if self.pages >= self.next_mark:
            self.next_mark += self.every_pages
            self.emit()

    def closed(self, spider=None, reason=None):
        if self.task is not None and self.task.running:
            self.task.stop()
        self.emit(final=True)
