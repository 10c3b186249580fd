"""The crawl run: a `crawl_runs` row opened with the spider and closed with its stats."""
from __future__ import annotations

from scrapy import signals

from archive.lock import ArchiveLock
from crawler.runstate import RunState


class CrawlRunExtension:
    def __init__(self, crawler):
        # One crawl per archive, whoever starts it (`scrapy crawl`, a scrapyd job): the process that
        # opens the run holds <db>.lock until it exits (archive/lock.py; `nianbao crawl` took it already).
        self.lock = ArchiveLock(crawler.settings.get("NIANBAO_DB")).acquire()
        self.crawler = crawler
        self.state = RunState.of(crawler)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        self.state.open_run()

    def closed(self, spider, reason):
        state = self.state
        stats = dict(self.crawler.stats.get_stats())
        stats.update({f"nianbao/{k}": v for k, v in state.counters.items()})
        stats["nianbao/interrupted_runs"] = state.interrupted_runs
        state.ledger.close_run(state.run_id, "finished" if reason == "finished" else "aborted", reason, stats,
                               state.lists_seen())
        state.ledger.close()
