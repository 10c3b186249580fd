"""The crawl run: a `crawl_runs` row opened with the spider and closed with its stats."""
from __future__ import annotations

from scrapy import signals
from scrapy.extensions.throttle import AutoThrottle

from crawler.runstate import RunState


class CrawlRunExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        state = RunState.of(self.crawler)
        state.run_id = state.archive.start_run(sorted(state.sources))
        state.load_interrupted()

    def closed(self, spider, reason):
        state = RunState.of(self.crawler)
        gone = []
        if reason == "finished":
            # Only a list walked to its end can prove a report disappeared.
            for sid in state.complete_lists:
                gone += state.archive.mark_gone(sid, state.seen_reports.get(sid, set()))
        stats = dict(self.crawler.stats.get_stats())
        stats.update({f"nianbao/{k}": v for k, v in state.counters.items()})
        stats["nianbao/gone"] = len(gone)
        stats["nianbao/complete_lists"] = sorted(state.complete_lists)
        stats["nianbao/incomplete_lists"] = sorted(set(state.sources) - state.complete_lists)
        stats["nianbao/interrupted_runs"] = state.interrupted_runs
        state.archive.finish_run(state.run_id, "finished" if reason == "finished" else "aborted",
                                 reason, stats)
        state.archive.close()
        # The derived per-report figures the canned queries read (archive/figures.py).
        from archive import figures
        figures.refresh(state.archive.path)


class PoliteAutoThrottle(AutoThrottle):
    """AutoThrottle that never goes below a slot's Crawl-delay (set by CrawlDelayMiddleware)."""

    def _adjust_delay(self, slot, latency, response):
        super()._adjust_delay(slot, latency, response)
        floor = getattr(self.crawler, "_nianbao_slot_floor", {}).get(id(slot), 0.0)
        if slot.delay < floor:
            slot.delay = floor
