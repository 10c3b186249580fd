"""One crawl's shared state: the archive, the run row, the sources, what was seen.

Created lazily on the crawler object, so middlewares, the spider, the pipeline and the run
extension all reach the same archive connection whatever order Scrapy builds them in.
"""
from __future__ import annotations

from collections import Counter

from archive.writer import Archive
from crawler import registry


class RunState:
    def __init__(self, crawler):
        settings = crawler.settings
        self.archive = Archive(settings.get("NIANBAO_DB"), settings.get("NIANBAO_WARC_DIR"))
        self.sources = {s.id: s for s in registry.load(settings.get("NIANBAO_REGISTRY"))}
        only = settings.get("NIANBAO_ONLY")
        if only:
            wanted = set(only.split(",")) if isinstance(only, str) else set(only)
            unknown = wanted - set(self.sources)
            if unknown:
                raise registry.RegistryError(f"unknown source ids: {', '.join(sorted(unknown))}")
            self.sources = {k: v for k, v in self.sources.items() if k in wanted}
        self.sources = {k: v for k, v in self.sources.items() if v.enabled}
        self.archive.sync_sources([s.row() for s in self.sources.values()])
        self.run_id: int | None = None
        self.seen_reports: dict[str, set[str]] = {sid: set() for sid in self.sources}
        self.complete_lists: set[str] = set()   # sources whose whole list was walked
        self.counters: Counter = Counter()

    @classmethod
    def of(cls, crawler) -> "RunState":
        state = getattr(crawler, "_nianbao_state", None)
        if state is None:
            state = cls(crawler)
            crawler._nianbao_state = state
        return state
