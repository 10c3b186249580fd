"""One crawl's in-memory state: the sources, the lists seen, the counters, and the ledger.

Every component (spider, middlewares, run extension) finds the same RunState through
`RunState.of(crawler)`, whatever order Scrapy builds them in: the first one's `from_crawler`
creates it. It is kept in a module-level WeakKeyDictionary keyed by the crawler, not patched onto
the crawler. Everything incremental (render decisions, blocked marks, skipped items, what an
interrupted run already archived) lives in the archive, reached only through the ledger
(archive/ledger.py).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from weakref import WeakKeyDictionary

from scrapy.utils.misc import load_object

from archive.ledger import Ledger
from crawler import registry

_STATES: WeakKeyDictionary = WeakKeyDictionary()


class RunState:
    def __init__(self, settings):
        self.ledger = Ledger(settings.get("NIANBAO_DB"), settings.get("NIANBAO_WARC_DIR"))
        self.sources = {s.id: s for s in registry.load(settings.get("NIANBAO_REGISTRY"))}
        only = settings.get("NIANBAO_ONLY")
        if only:
            wanted = set(only.split(",")) if isinstance(only, str) else set(only)
            unknown = wanted - set(self.sources)
            if unknown:
                raise registry.RegistryError(f"unknown source ids: {', '.join(sorted(unknown))}")
            self.sources = {k: v for k, v in self.sources.items() if k in wanted}
        self.sources = {k: v for k, v in self.sources.items() if v.enabled}
        self.ledger.sync_sources([s.row() for s in self.sources.values()])
        disabled = settings.get("NIANBAO_DISABLE_ADAPTERS") or ""
        self.disabled_adapters = set(disabled.split(",")) if isinstance(disabled, str) else set(disabled)
        self.disabled_adapters.discard("")
        self.render_decision = self.ledger.render_decisions()
        self.run_id: int | None = None
        self.seen_reports: dict[str, set[str]] = {sid: set() for sid in self.sources}
        self.listed: dict[str, set[str]] = defaultdict(set)     # entry URLs met in this run's lists
        self.list_pending: Counter = Counter()                    # list requests in flight per source
        self.list_failed: set[str] = set()
        self.list_ok: set[str] = set()
        self.counters: Counter = Counter()
        self.resume_urls: set[str] = set()
        self.interrupted_runs: list[int] = []

    @classmethod
    def of(cls, crawler) -> "RunState":
        """The crawl's RunState, created on first use; its class is the NIANBAO_RUN_STATE setting
        (a distributed worker's shares its lists in Redis)."""
        state = _STATES.get(crawler)
        if state is None:
            factory = load_object(crawler.settings.get("NIANBAO_RUN_STATE") or RunState)
            state = _STATES[crawler] = factory(crawler.settings)
        return state

    # ------------------------------------------------------------ the run
    def open_run(self) -> None:
        self.run_id = self.ledger.start_run(sorted(self.sources))
        self.load_interrupted()

    def load_interrupted(self) -> None:
        """Runs started after the last finished one and never closed were killed: they are closed
        as interrupted, and what they archived is not fetched again."""
        self.interrupted_runs, self.resume_urls = self.ledger.resume(self.run_id)

    def lists_seen(self) -> dict[str, set[str]]:
        """The complete lists, with the report URLs they showed (ledger.close_run)."""
        return {sid: self.seen_reports.get(sid, set()) for sid in self.complete_lists}

    # ------------------------------------------------------------ list completeness
    @property
    def complete_lists(self) -> set[str]:
        """Sources whose every list page was fetched and read (only those can prove a report gone)."""
        return {sid for sid in self.list_ok if sid not in self.list_failed and not self.list_pending[sid]}

    def list_open(self, sid: str) -> None:
        self.list_pending[sid] += 1

    def list_close(self, sid: str, ok: bool) -> None:
        self.list_pending[sid] -= 1
        if ok:
            self.list_ok.add(sid)
        else:
            self.list_failed.add(sid)

    # ------------------------------------------------------------ source marks (cached here)
    def set_render_decision(self, sid: str, decision: str) -> None:
        if self.render_decision.get(sid) == decision:
            return
        self.render_decision[sid] = decision
        self.ledger.set_render_decision(sid, decision)

    def skip(self, sid: str, url: str, title: str | None, reason: str) -> None:
        self.counters[f"skipped_{reason}"] += 1
        self.ledger.skip(self.run_id, sid, url, title, reason)
