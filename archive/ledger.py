"""The crawler's one door into the archive (docs/architecture.md, "crawler/").

The crawler writes no SQL: everything it asks of the archive is a method here — open and close a
run, record a capture, the state of conditional requests, what an interrupted run already
archived, a page's last capture read back from its WARC, source marks (blocked, render decision),
skipped list items, gone and re-seen reports, and the rows of a distributed crawl's workers.
"""
from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

from archive.ingest import Ingest, NotYet
from archive.warc import read_record
from archive.writer import Archive, Capture, WriterThread, utcnow

__all__ = ["Capture", "Ledger", "NotYet", "utcnow"]

log = logging.getLogger(__name__)


def _json(stats: dict) -> str:
    return json.dumps(stats, ensure_ascii=False, default=str)


def partial_reasons(stats: dict) -> list[str]:
    """What made a run that ran to its end fall short of its sources, from its stats."""
    out = []
    if stats.get("nianbao/incomplete_lists"):
        out.append("incomplete sources: " + ", ".join(stats["nianbao/incomplete_lists"]))
    if stats.get("log_count/ERROR"):
        out.append(f"{stats['log_count/ERROR']} errors logged (items may be missing)")
    limits = sum(v for k, v in stats.items() if k.startswith("nianbao/extract_errors/") and isinstance(v, int))
    if limits:
        out.append(f"{limits} documents hit an extraction limit (recorded with their versions)")
    return out


class Ledger:
    def __init__(self, db_path: str | Path, warc_dir: str | Path | None = None):
        self.archive = Archive(db_path, warc_dir)
        self._db = self.archive.db

    @property
    def path(self) -> Path:
        return self.archive.path

    @property
    def warc_dir(self) -> Path:
        return self.archive.warc_dir

    @property
    def warc_file(self) -> str | None:
        """This process's WARC file, when it wrote one."""
        other = getattr(self, "_capture_archive", None)
        if other is not None and other._warc is not None:
            return self.archive.warc_file or other._warc.name
        return self.archive.warc_file

    def close(self) -> None:
        self.archive.close()

    def flush(self) -> None:
        """Wait until the captures queued to the crawl's writer are committed (before reading the
        run's captures back); a no-op without one."""
        writer = WriterThread.active(self.path)
        if writer is not None:
            writer.flush()

    # ------------------------------------------------------------ sources
    def sync_sources(self, rows: list[dict]) -> None:
        self.archive.sync_sources(rows)

    def render_decisions(self) -> dict[str, str]:
        """Source id → `static`/`browser`, as an earlier `render: auto` crawl decided."""
        return {sid: dec for sid, dec in self._db.execute(
            "SELECT id, render_decision FROM sources").fetchall() if dec}

    def set_render_decision(self, source_id: str, decision: str) -> None:
        with self.archive.transaction() as db:
            db.execute("UPDATE sources SET render_decision = ? WHERE id = ?", [decision, source_id])

    def mark_blocked(self, source_id: str | None, reason: str) -> None:
        if not source_id:
            return
        with self.archive.transaction() as db:
            db.execute("UPDATE sources SET blocked_at = ?, blocked_reason = ? WHERE id = ?",
                       [utcnow(), reason, source_id])

    # ------------------------------------------------------------ runs
    def start_run(self, sources: list[str]) -> int:
        return self.archive.start_run(sources)

    def run_status(self, run_id: int) -> str | None:
        row = self._db.execute("SELECT status FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
        return row[0] if row else None

    def run_sources(self, run_id: int) -> list[str]:
        row = self._db.execute("SELECT sources FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
        return json.loads(row[0] or "[]") if row else []

    def interrupted_runs(self, run_id: int | None) -> list[int]:
        """Runs started after the last closed one and never closed themselves: they were killed."""
        last = self._db.execute(
            "SELECT COALESCE(MAX(id), 0) FROM crawl_runs WHERE status != 'running'").fetchone()[0]
        return [r for (r,) in self._db.execute(
            "SELECT id FROM crawl_runs WHERE status = 'running' AND id > ? AND id != ?",
            [last, run_id or -1]).fetchall()]

    def resume_urls(self, runs: list[int]) -> set[str]:
        """URLs the given runs fetched successfully (a resumed run need not fetch them again)."""
        if not runs:
            return set()
        marks = ",".join("?" * len(runs))
        return {u for (u,) in self._db.execute(
            f"SELECT DISTINCT url FROM captures WHERE outcome = 'ok' AND run_id IN ({marks})",
            list(runs)).fetchall()}

    def resume(self, run_id: int) -> tuple[list[int], set[str]]:
        """Close the interrupted runs as resumed by `run_id`; returns them and what they fetched."""
        runs = self.interrupted_runs(run_id)
        urls = self.resume_urls(runs)
        for rid in runs:
            self.archive.finish_run(rid, "interrupted", f"resumed by run {run_id}", {})
        return runs, urls

    def finish_run(self, run_id: int, status: str, reason: str, stats: dict) -> None:
        """Only the run's status and stats (a remote worker's own run row): see close_run."""
        self.archive.finish_run(run_id, status, reason, stats)

    def close_run(self, run_id: int, status: str, reason: str, stats: dict,
                  complete_lists: dict[str, set[str]]) -> list[str]:
        """End a crawl, single-process or distributed: mark gone reports, write the status and
        stats, refresh the derived figures. Returns the URLs of the reports marked gone.

        `complete_lists` maps each source whose every list page was fetched and read to the
        report URLs those lists showed; only such a list, in a finished run, can show a report
        missing, and only evidence makes it gone (Archive.mark_gone, docs/archive.md "Gone"). A
        list that dropped too much is not believed: `nianbao/gone_suspicious/<source>` says why."""
        self.flush()   # every capture of the run is read below (gone evidence, health)
        gone: list[str] = []
        suspicious: dict[str, str] = {}
        if status == "finished":
            for sid in sorted(complete_lists):
                gone += self.archive.mark_gone(
                    sid, complete_lists[sid], run_id=run_id,
                    on_suspicious=lambda why, sid=sid: suspicious.__setitem__(sid, why))
        for sid, why in suspicious.items():
            log.warning("source %s: %s", sid, why)
        complete = sorted(complete_lists)
        incomplete = sorted(set(self.run_sources(run_id)) - set(complete))
        stats = {**stats, "nianbao/gone": len(gone), "nianbao/complete_lists": complete,
                 "nianbao/incomplete_lists": incomplete,
                 **{f"nianbao/gone_suspicious/{sid}": why for sid, why in suspicious.items()}}
        if status == "finished" and (incomplete or partial_reasons(stats)):
            # The crawl ran to its end but did not get everything: say so in the run's status.
            status = "partial"
        self.archive.finish_run(run_id, status, reason, stats)
        if status in ("finished", "partial"):
            # One health status per source of the run, kept with history (archive/health.py).
            from archive import health
            try:
                health.record(self._db.conn, run_id, utcnow())
            except Exception:   # noqa: BLE001 - health is a judgement on the run: never lose the run over it
                log.exception("source health of run %s could not be recorded", run_id)
        # The derived per-report figures the canned queries read (archive/figures.py).
        from archive import figures
        figures.refresh(self.path)
        return gone

    # ------------------------------------------------------------ workers of a distributed run
    def add_worker(self, run_id: int, worker: str, started_at: str | None = None) -> None:
        with self.archive.transaction() as db:
            db.execute("INSERT INTO crawl_workers (run_id, worker, host, pid, started_at) VALUES (?,?,?,?,?)",
                       [run_id, worker, socket.gethostname(), os.getpid(), started_at or utcnow()])

    def finish_worker(self, run_id: int, worker: str, status: str, reason: str, stats: dict) -> None:
        with self.archive.transaction() as db:
            db.execute("UPDATE crawl_workers SET finished_at = ?, status = ?, finish_reason = ?, warc_file = ?,"
                       " stats = ? WHERE run_id = ? AND worker = ?",
                       [utcnow(), status, reason, self.warc_file, _json(stats), run_id, worker])

    def workers(self, run_id: int) -> list[dict]:
        """The run's workers in start order: worker, status, reason, warc_file, stats (a dict)."""
        rows = self._db.execute(
            "SELECT worker, status, finish_reason, warc_file, stats FROM crawl_workers WHERE run_id = ?"
            " ORDER BY id", [run_id]).fetchall()
        return [{"worker": w, "status": s, "reason": r, "warc_file": f, "stats": json.loads(st or "{}")}
                for w, s, r, f, st in rows]

    def ingest(self, run_id: int):
        """The writer of remote workers' messages into this archive (archive/ingest.py)."""
        return Ingest(self, run_id)

    # ------------------------------------------------------------ captures
    def add_capture(self, **kw) -> Capture:
        """A response or failure: its `captures` row and (for bytes) its WARC record. During a
        crawl they are queued to the pipeline's writer (one connection, batched with the stores:
        archive.writer.WriterThread) and the id is pending until the writer stores an item naming
        it; without one, in a transaction of their own."""
        writer = WriterThread.active(self.path)
        if writer is None:
            return self.archive.add_capture(**kw)
        self._capture_archive = writer.archive   # whose WARC file holds the records
        return writer.add_capture(**kw)

    def add_exchange(self, *, run_id: int | None, source_id: str | None, url: str, method: str,
                     request_headers: list[tuple[str, str]], request_body: bytes, status: int,
                     headers: list[tuple[str, str]], body: bytes, role: str = "xhr",
                     referer: str | None = None) -> Capture:
        """An XHR/fetch a rendered page made (crawler/listwalk.py): a capture of the answer — a WARC
        response record — and a request record beside it with the request's method, headers and body."""
        outcome = "ok" if status < 400 else "error"
        cap = self.archive.add_capture(run_id=run_id, source_id=source_id, url=url, status=status,
                                       headers=headers, body=body, method=method, outcome=outcome,
                                       error=None if outcome == "ok" else f"HTTP {status}", role=role,
                                       referer=referer)
        row = self._db.execute("SELECT warc_record_id FROM captures WHERE id = ?", [cap.id]).fetchone()
        self.archive.warc.write_request(url, method, request_headers, request_body,
                                        concurrent_to=row[0] if row else None)
        with self.archive.transaction() as db:
            db.execute("UPDATE captures SET request_headers = ? WHERE id = ?",
                       [json.dumps(request_headers, ensure_ascii=False), cap.id])
        return cap

    def previous_capture(self, url: str) -> dict | None:
        return self.archive.previous_capture(url)

    def last_capture(self, url: str) -> dict | None:
        """The newest full (not rendered) successful capture of `url` that has a WARC record."""
        row = self._db.execute(
            "SELECT id, warc_file, warc_offset, warc_length, final_url, headers FROM captures"
            " WHERE url = ? AND outcome = 'ok' AND rendered = 0 AND warc_file IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", [url]).fetchone()
        return dict(zip(("id", "warc_file", "warc_offset", "warc_length", "final_url", "headers"), row)) \
            if row else None

    def last_page_body(self, url: str) -> tuple[str, dict[str, str], bytes] | None:
        """(final URL, response headers, body) of the last full capture of `url`, read back from
        its WARC record; None when there is none."""
        cap = self.last_capture(url)
        if not cap:
            return None
        rec = read_record(self.warc_dir, cap["warc_file"], cap["warc_offset"], cap["warc_length"])
        return cap["final_url"] or url, dict(json.loads(cap["headers"] or "[]")), rec.body

    def report_archived(self, url: str) -> bool:
        return self._db.execute("SELECT 1 FROM reports WHERE url = ? AND current_version_id IS NOT NULL",
                                [url]).fetchone() is not None

    def attachment_archived(self, url: str) -> bool:
        return self._db.execute("SELECT 1 FROM attachments WHERE url = ?", [url]).fetchone() is not None

    def stored(self, url: str, role: str) -> bool:
        """Is what `url` brought in the archive (a report reached by it, or a file/image)?"""
        if role == "detail":
            return self._db.execute(
                "SELECT 1 FROM report_urls u JOIN reports r ON r.id = u.report_id WHERE u.url = ?"
                " AND r.current_version_id IS NOT NULL", [url]).fetchone() is not None \
                or self.report_archived(url)
        return self.attachment_archived(url)

    # ------------------------------------------------------------ list items and reports
    def skip(self, run_id: int | None, source_id: str, url: str, title: str | None, reason: str) -> None:
        """A list item not followed (e.g. noise), kept with why. During a crawl, queued to its
        writer like a capture (the reactor does not wait for the write lock)."""
        kw = {"run_id": run_id, "source_id": source_id, "url": url, "title": title, "reason": reason,
              "seen_at": utcnow()}
        writer = WriterThread.active(self.path)
        if writer is None:
            self.archive.record_skip(**kw)
        else:
            writer.submit("record_skip", **kw)

    def touch_report(self, url: str, when: str | None = None) -> None:
        self.archive.touch_report(url, when)

    def mark_gone(self, source_id: str, seen_urls: set[str], when: str | None = None,
                  run_id: int | None = None) -> list[str]:
        return self.archive.mark_gone(source_id, seen_urls, when, run_id=run_id)

    def lists_answered(self, run_id: int) -> set[str]:
        """Sources whose list and API requests of run `run_id` all answered (none failed)."""
        self.flush()
        return {sid for sid, bad in self._db.execute(
            "SELECT source_id, SUM(outcome NOT IN ('ok', 'not_modified')) FROM captures"
            " WHERE run_id = ? AND role IN ('list', 'api') AND source_id IS NOT NULL GROUP BY source_id",
            [run_id]) if not bad}

    def unlisted_reports(self, run_id: int, source_id: str, listed: set[str]) -> list[str]:
        """URLs of the archived reports of `source_id` that its complete list did not show and that
        this run did not fetch: asking for them again lets a 404/410 prove them gone. Empty when
        the list dropped so much that Archive.mark_gone will not believe it anyway."""
        self.flush()
        rows = self._db.execute(
            "SELECT r.id, r.url, u.url FROM reports r LEFT JOIN report_urls u ON u.report_id = r.id"
            " WHERE r.source_id = ? AND r.gone_at IS NULL", [source_id]).fetchall()
        known: dict[int, set[str]] = {}
        for rid, main_url, other in rows:
            known.setdefault(rid, {main_url}).add(other or main_url)
        fetched = {u for (u,) in self._db.execute(
            "SELECT DISTINCT url FROM captures WHERE run_id = ? AND source_id = ? AND role = 'detail'",
            [run_id, source_id])}
        unlisted = [urls for urls in known.values() if not urls & (listed | fetched)]
        if 2 * len(unlisted) > len(known):
            return []
        return sorted(set().union(*unlisted)) if unlisted else []
