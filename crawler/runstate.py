"""One crawl's shared state: the archive, the run row, the sources, what was seen.

Created lazily on the crawler object, so middlewares, the spider, the pipeline and the run
extension all reach the same archive connection whatever order Scrapy builds them in. Everything
incremental lives in the archive (not in Scrapy's cache): render decisions, blocked marks,
skipped items, and the captures of an interrupted run that a resumed run need not fetch again.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict

from archive.writer import Archive, utcnow
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
        disabled = settings.get("NIANBAO_DISABLE_ADAPTERS") or ""
        self.disabled_adapters = set(disabled.split(",")) if isinstance(disabled, str) else set(disabled)
        self.disabled_adapters.discard("")
        db = self.archive.db
        self.render_decision = {sid: dec for sid, dec in db.execute(
            "SELECT id, render_decision FROM sources").fetchall() if dec}
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
        state = getattr(crawler, "_nianbao_state", None)
        if state is None:
            state = cls(crawler)
            crawler._nianbao_state = state
        return state

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

    # ------------------------------------------------------------ resume
    def load_interrupted(self) -> None:
        """Runs started after the last finished one and never closed were killed: what they
        archived is not fetched again."""
        db = self.archive.db
        last = db.execute("SELECT COALESCE(MAX(id), 0) FROM crawl_runs WHERE status != 'running'").fetchone()[0]
        self.interrupted_runs = [r[0] for r in db.execute(
            "SELECT id FROM crawl_runs WHERE status = 'running' AND id > ? AND id != ?",
            [last, self.run_id or -1]).fetchall()]
        if not self.interrupted_runs:
            return
        marks = ",".join("?" * len(self.interrupted_runs))
        self.resume_urls = {u for (u,) in db.execute(
            f"SELECT DISTINCT url FROM captures WHERE outcome = 'ok' AND run_id IN ({marks})",
            self.interrupted_runs).fetchall()}
        for rid in self.interrupted_runs:
            self.archive.finish_run(rid, "interrupted", f"resumed by run {self.run_id}", {})

    def report_archived(self, url: str) -> bool:
        return self.archive.db.execute("SELECT 1 FROM reports WHERE url = ? AND current_version_id IS NOT NULL",
                                       [url]).fetchone() is not None

    def attachment_archived(self, url: str) -> bool:
        return self.archive.db.execute("SELECT 1 FROM attachments WHERE url = ?", [url]).fetchone() is not None

    def stored(self, url: str, role: str) -> bool:
        """Is what `url` brought in the archive (a report reached by it, or a file/image)?"""
        if role == "detail":
            db = self.archive.db
            return db.execute("SELECT 1 FROM report_urls u JOIN reports r ON r.id = u.report_id WHERE u.url = ?"
                              " AND r.current_version_id IS NOT NULL", [url]).fetchone() is not None \
                or self.report_archived(url)
        return self.attachment_archived(url)

    def last_capture(self, url: str) -> dict | None:
        row = self.archive.db.execute(
            "SELECT id, warc_file, warc_offset, warc_length, final_url, headers FROM captures"
            " WHERE url = ? AND outcome = 'ok' AND rendered = 0 AND warc_file IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", [url]).fetchone()
        return dict(zip(("id", "warc_file", "warc_offset", "warc_length", "final_url", "headers"), row)) if row else None

    # ------------------------------------------------------------ source marks
    def mark_blocked(self, sid: str | None, reason: str) -> None:
        if not sid:
            return
        with self.archive.transaction() as db:
            db.execute("UPDATE sources SET blocked_at = ?, blocked_reason = ? WHERE id = ?",
                       [utcnow(), reason, sid])

    def set_render_decision(self, sid: str, decision: str) -> None:
        if self.render_decision.get(sid) == decision:
            return
        self.render_decision[sid] = decision
        with self.archive.transaction() as db:
            db.execute("UPDATE sources SET render_decision = ? WHERE id = ?", [decision, sid])

    def skip(self, sid: str, url: str, title: str | None, reason: str) -> None:
        self.counters[f"skipped_{reason}"] += 1
        with self.archive.transaction() as db:
            db.execute("INSERT INTO skipped (run_id, source_id, url, title, reason, seen_at) VALUES (?,?,?,?,?,?)"
                       " ON CONFLICT (source_id, url, reason) DO UPDATE SET run_id = excluded.run_id,"
                       " seen_at = excluded.seen_at, title = excluded.title",
                       [self.run_id, sid, url, title, reason, utcnow()])

    def stats_json(self, stats: dict) -> str:
        return json.dumps(stats, ensure_ascii=False, default=str)
