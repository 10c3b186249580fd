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
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from scrapy.utils.misc import load_object

from archive.ledger import Ledger
from crawler import registry

_STATES: WeakKeyDictionary = WeakKeyDictionary()


@dataclass
class ListFigures:
    """One list of a source (its column, a year sub-column, a column met as a detail page): what
    its pages print about its size, and what they showed. Printed figures are hints: they decide
    what is expected, never how many pages are fetched (that is the page cap's business)."""
    found: set = field(default_factory=set)              # distinct entry URLs, noise included
    per_page: dict = field(default_factory=dict)         # page number → distinct entries on it
    items: int | None = None                             # the largest printed item total
    pages: int | None = None                             # the largest printed page count
    scheduled: int = 0                                   # further page requests made for it

    def note(self, items: int | None, pages: int | None) -> None:
        if items is not None:
            self.items = max(self.items or 0, items)
        if pages is not None:
            self.pages = max(self.pages or 0, pages)

    def expected(self) -> int | None:
        """Items the list says it holds: a printed total; else from a page count, every page up to
        the last non-empty one read is full (page 1's size), and that one holds what it showed
        (a stale count's empty trailing page is not a shortfall; a page never read counts full)."""
        if self.items is not None:
            return self.items
        if not self.pages or not self.per_page.get(1):
            return None
        size = self.per_page[1]
        read = [k for k, n in self.per_page.items() if n and k <= self.pages]
        last = max(read)
        if last < self.pages and all(k in self.per_page for k in range(last + 1, self.pages + 1)):
            return (last - 1) * size + self.per_page[last]
        if last < self.pages:   # pages after the last one read never answered: they count full
            return (self.pages - 1) * size + 1
        return (last - 1) * size + self.per_page[last]


class RunState:
    def __init__(self, settings):
        self.ledger = self.open_ledger(settings)
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
        # Bounds on what a list may make the crawl do (hostile counts: `countPage = 100000000`).
        self.max_list_pages = settings.getint("NIANBAO_MAX_LIST_PAGES", 500)
        self.max_list_items = settings.getint("NIANBAO_MAX_LIST_ITEMS", 20000)
        self.lists: dict[str, dict[str, ListFigures]] = defaultdict(dict)   # source → list key → figures
        self.capped: set[str] = set()                                        # sources a cap cut short

    def open_ledger(self, settings) -> Ledger:
        """The archive's door (a remote worker's sends everything to the writer instead)."""
        return Ledger(settings.get("NIANBAO_DB"), settings.get("NIANBAO_WARC_DIR"))

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
        """Sources whose every list page was fetched and read, that no cap cut short and whose lists
        showed at least what they print (only those can prove a report gone)."""
        return {sid for sid in self.list_ok if sid not in self.list_failed and not self.list_pending[sid]
                and sid not in self.capped and not self.short_lists(sid)}

    # ------------------------------------------------------------ list figures and caps
    def list_figures(self, sid: str, key: str) -> ListFigures:
        return self.lists[sid].setdefault(key, ListFigures())

    def short_lists(self, sid: str) -> list[str]:
        """Keys of the source's lists that showed fewer distinct entries than they print."""
        return [k for k, f in self.lists.get(sid, {}).items()
                if f.expected() is not None and len(f.found) < f.expected()]

    def cap(self, sid: str, what: str) -> None:
        """A cap stopped reading the source's list: it is not complete (nothing is marked gone)."""
        if sid not in self.capped:
            self.capped.add(sid)
            self.counters["lists_capped"] += 1
            # Also as a failed list read: a distributed worker shares that mark with the coordinator.
            self.list_open(sid)
            self.list_close(sid, ok=False)
        self.counters[f"lists_capped/{what}"] += 1

    def may_add_page(self, sid: str, key: str) -> bool:
        """One more further page request for this list, within NIANBAO_MAX_LIST_PAGES (the list's
        first page counts)? A refusal caps the source."""
        figures = self.list_figures(sid, key)
        if figures.scheduled + 1 >= self.max_list_pages:
            self.cap(sid, "pages")
            return False
        figures.scheduled += 1
        return True

    def may_add_item(self, sid: str) -> bool:
        """One more distinct entry for this source, within NIANBAO_MAX_LIST_ITEMS? A refusal caps it."""
        if len(self.listed[sid]) >= self.max_list_items:
            self.cap(sid, "items")
            return False
        return True

    def figures(self, sid: str) -> dict:
        """The source's expected-vs-found figures for the run stats (`nianbao/lists/<source>`): a list
        that prints no size expects what it showed; `short` names the lists that showed less."""
        lists = self.lists.get(sid, {})
        expected = found = 0
        for f in lists.values():
            e = f.expected()
            found += len(f.found)
            expected += len(f.found) if e is None else e
        return {"expected": expected, "found": found, "lists": len(lists),
                "unprinted": sum(1 for f in lists.values() if f.expected() is None),
                "short": sorted(self.short_lists(sid)), "capped": sid in self.capped}

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
