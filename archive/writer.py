"""Writing into the archive: runs, captures (with their WARC records), reports and versions.

One transaction per item. A capture's bytes are content-addressed: identical bytes already in a
WARC are not written again, the new capture row points at the existing record.
"""
from __future__ import annotations

import functools
import json
import logging
import queue
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from archive import __version__
from archive.schema import open_db
from archive.tx import transaction
from archive.warc import WarcRef, WarcStore, sha256

log = logging.getLogger(__name__)

# Scrapy hands us decoded bodies; keeping these headers would make WARC readers decode twice.
_STRIP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Capture:
    id: "int | PendingCapture"   # pending when queued to a WriterThread (resolved by that writer)
    sha256: str | None
    outcome: str


class CaptureLost(RuntimeError):
    """An item names a capture that the writer could not record (or whose batch was rolled back)."""


class PendingCapture:
    """The id of a capture queued to a WriterThread, known once the writer inserted its row.

    The crawl hands it on unresolved (request meta → item → the writer's store_document or
    store_attachment), and the writer resolves it when it runs that item: jobs run in the order
    they were queued, so a capture's row is inserted before any item that names it, in the same
    transaction or an earlier one. Only the writer thread sets or reads `id` and `error`. It
    holds nothing else, so a request meta carrying it can still be pickled (a redirect's request
    in a distributed crawl's scheduler queue)."""

    __slots__ = ("id", "error")

    def __init__(self):
        self.id: int | None = None
        self.error: BaseException | None = None

    def resolve(self) -> int:
        if self.error is not None:
            raise CaptureLost(f"the capture was not recorded: {self.error!r}") from self.error
        if self.id is None:
            raise CaptureLost("the capture was not recorded yet (queued to another writer?)")
        return self.id

    def __repr__(self) -> str:
        return f"PendingCapture(id={self.id})"


class Archive:
    def __init__(self, db_path: str | Path, warc_dir: str | Path | None = None, threads: bool = False):
        self.path = Path(db_path)
        self.db = open_db(self.path, check_same_thread=not threads)
        self.warc_dir = Path(warc_dir) if warc_dir else self.path.parent / "warc"
        self._warc: WarcStore | None = None

    @property
    def warc(self) -> WarcStore:
        if self._warc is None:
            self._warc = WarcStore(self.warc_dir, prefix=self.path.stem)
        return self._warc

    @property
    def warc_file(self) -> str | None:
        """This process's WARC file, once a record was written to it."""
        w = self._warc
        return w.name if w is not None and w._fh is not None else None

    def close(self) -> None:
        if self._warc:
            self._warc.close()
        self.db.conn.close()

    @contextmanager
    def transaction(self):
        """One item's write transaction; inside a batch (WriterThread), a savepoint of it."""
        if getattr(self, "_in_batch", False):
            conn = self.db.conn
            conn.execute("SAVEPOINT item")
            try:
                yield self.db
            except BaseException:
                conn.execute("ROLLBACK TO item")
                conn.execute("RELEASE item")
                raise
            conn.execute("RELEASE item")
            return
        with transaction(self.db.conn):
            yield self.db

    def drain_derived(self, batch: int | None = None) -> int:
        """Derive the search segments and checks of the reports stored since the last drain
        (archive/derive.py); returns how many reports. A no-op when nothing is queued."""
        from archive import derive
        return derive.drain(self.db.conn, **({"batch": batch} if batch else {}))

    # ------------------------------------------------------------ sources and runs
    def sync_sources(self, sources: list[dict]) -> None:
        cols = ("id", "name", "url", "platform", "render", "region", "level", "enabled", "verified",
                "config")
        with self.transaction() as db:
            for s in sources:
                row = {k: s.get(k) for k in cols}
                row["enabled"] = 1 if s.get("enabled", True) else 0
                row["verified"] = 1 if s.get("verified") else 0
                row["render"] = s.get("render") or "auto"
                if isinstance(row["config"], (dict, list)):
                    row["config"] = json.dumps(row["config"], ensure_ascii=False)
                db["sources"].upsert(row, pk="id")

    def start_run(self, sources: list[str]) -> int:
        with self.transaction() as db:
            return db["crawl_runs"].insert({
                "started_at": utcnow(), "status": "running", "version": __version__,
                "sources": json.dumps(sources)}).last_pk

    def finish_run(self, run_id: int, status: str, reason: str, stats: dict) -> None:
        with self.transaction() as db:
            db["crawl_runs"].update(run_id, {
                "finished_at": utcnow(), "status": status, "finish_reason": reason,
                "stats": json.dumps(stats, ensure_ascii=False, default=str)})

    # ------------------------------------------------------------ captures
    def previous_capture(self, url: str) -> dict | None:
        """The newest successful capture of `url` (for conditional requests and unchanged checks)."""
        rows = self.db.execute(
            "SELECT id, sha256, etag, last_modified, warc_file, warc_offset, warc_length, fetched_at"
            " FROM captures WHERE url = ? AND outcome = 'ok' ORDER BY id DESC LIMIT 1", [url])
        cols = [d[0] for d in rows.description]
        row = rows.fetchone()
        return dict(zip(cols, row)) if row else None

    def add_capture(self, *, run_id: int | None, source_id: str | None, url: str,
                    final_url: str | None = None, status: int | None = None, reason: str = "",
                    headers: list[tuple[str, str]] | None = None, body: bytes | None = None,
                    request_headers: list[tuple[str, str]] | None = None, method: str = "GET",
                    rendered: bool = False, outcome: str = "ok", error: str | None = None,
                    role: str | None = None, referer: str | None = None,
                    fetched_at: str | None = None, digest: str | None = None) -> Capture:
        """`digest`: the body's sha256 when the caller computed it already (WriterThread.add_capture)."""
        fetched_at = fetched_at or utcnow()
        headers = [(k, v) for k, v in (headers or []) if k.lower() not in _STRIP_HEADERS]
        hmap = {k.lower(): v for k, v in headers}
        digest = (digest or sha256(body)) if body is not None else None
        ref = None
        if body is not None and outcome != "not_modified":
            ref = self._existing_record(digest, rendered) or (
                self.warc.write_resource(final_url or url, body, hmap.get("content-type", "text/html"),
                                         fetched_at)
                if rendered else
                self.warc.write_response(final_url or url, status or 200, reason, headers, body,
                                         fetched_at, request_headers, method))
        row = {
            "run_id": run_id, "source_id": source_id, "url": url, "final_url": final_url or url,
            "method": method, "status": status,
            "headers": json.dumps(headers, ensure_ascii=False),
            "request_headers": json.dumps(request_headers or [], ensure_ascii=False),
            "content_type": hmap.get("content-type"), "sha256": digest,
            "size": len(body) if body is not None else None, "fetched_at": fetched_at,
            "rendered": 1 if rendered else 0, "outcome": outcome, "error": error, "role": role,
            "referer": referer, "etag": hmap.get("etag"), "last_modified": hmap.get("last-modified"),
        }
        if ref:
            row.update(warc_file=ref.file, warc_offset=ref.offset, warc_length=ref.length,
                       warc_record_id=ref.record_id)
        with self.transaction() as db:
            cid = db["captures"].insert(row).last_pk
        return Capture(cid, digest, outcome)

    def _existing_record(self, digest: str, rendered: bool):
        row = self.db.execute(
            "SELECT warc_file, warc_offset, warc_length, warc_record_id FROM captures"
            " WHERE sha256 = ? AND rendered = ? AND warc_file IS NOT NULL LIMIT 1",
            [digest, 1 if rendered else 0]).fetchone()
        return WarcRef(*row) if row else None

    def capture_row(self, capture_id: int) -> dict:
        return self.db["captures"].get(capture_id)

    # ------------------------------------------------------------ reports
    def store_document(self, *, capture_id: int, source_id: str | None, url: str, doc: dict,
                       identity=None, seen=None, kind: str | None = None,
                       seen_at: str | None = None) -> tuple[int, int, bool]:
        """Record `doc` (the extract JSON of the capture's bytes) for the report at `url`.

        Returns (report_id, version_id, is_new_version). Unchanged bytes only touch last_seen.
        """
        from archive import store  # the version logic lives in one place
        from archive.agency import source_region
        from nianbao.identity import Seen, settle
        seen_at = seen_at or utcnow()
        if identity is None:  # callers without a crawl context (samples, imports): the same rule
            seen = seen or Seen(list_kind=kind, region=source_region(self.db, source_id))
            identity = settle(seen, doc)
        seen = seen or Seen()
        with self.transaction() as db:
            return store.store_document(db, capture_id=capture_id, source_id=source_id, url=url,
                                        doc=doc, identity=identity, seen=seen, seen_at=seen_at)

    def store_attachment(self, *, report_url: str, capture_id: int, url: str,
                         filename: str | None, doc: dict) -> int | None:
        from archive import store
        with self.transaction() as db:
            return store.store_attachment(db, report_url=report_url, capture_id=capture_id,
                                          url=url, filename=filename, doc=doc)

    def record_skip(self, *, run_id: int | None, source_id: str, url: str, title: str | None,
                    reason: str, seen_at: str | None = None) -> None:
        """A list item not followed (e.g. noise), kept with why (archive.ledger.Ledger.skip)."""
        with self.transaction() as db:
            db.execute("INSERT INTO skipped (run_id, source_id, url, title, reason, seen_at) VALUES (?,?,?,?,?,?)"
                       " ON CONFLICT (source_id, url, reason) DO UPDATE SET run_id = excluded.run_id,"
                       " seen_at = excluded.seen_at, title = excluded.title",
                       [run_id, source_id, url, title, reason, seen_at or utcnow()])

    def touch_report(self, url: str, when: str | None = None) -> None:
        """The report was seen again unchanged (e.g. 304): only last_seen moves."""
        with self.transaction() as db:
            db.execute("UPDATE reports SET last_seen = ?, gone_at = NULL WHERE id IN "
                       "(SELECT report_id FROM report_urls WHERE url = ? UNION "
                       "SELECT id FROM reports WHERE url = ?)", [when or utcnow(), url, url])

    def mark_gone(self, source_id: str, seen_urls: set[str], when: str | None = None, *,
                  run_id: int | None = None, on_suspicious=None) -> list[str]:
        """Reports of `source_id` that a complete list (`seen_urls`: the report URLs it showed) no
        longer shows, marked gone only on evidence; never deleted (docs/archive.md, "Gone").

        A list that shows none of the known reports, or drops more than half of them, is not
        believed (a page read with the wrong charset looks like an empty list): nothing is marked,
        nothing counts as missing, and `on_suspicious(reason)` is called. Otherwise a missing report
        is gone when its own URL answered 404/410 in run `run_id` (and none of its URLs answered),
        or when it was missing in an earlier finished run too (`missing_since`); else this run
        becomes its `missing_since`. Without a `run_id` the caller vouches for the list: every
        missing report is gone. A listed report's `missing_since` is cleared."""
        when = when or utcnow()
        rows = self.db.execute(
            "SELECT r.id, r.url, u.url, r.missing_since FROM reports r"
            " LEFT JOIN report_urls u ON u.report_id = r.id"
            " WHERE r.source_id = ? AND r.gone_at IS NULL", [source_id]).fetchall()
        known: dict[int, tuple[str, set[str], int | None]] = {}
        for rid, main_url, other, since in rows:
            known.setdefault(rid, (main_url, {main_url}, since))[1].add(other or main_url)
        missing = {rid for rid, (_, urls, _) in known.items() if not urls & seen_urls}
        if 2 * len(missing) > len(known):   # no known report listed, or more than half dropped
            if on_suspicious:
                on_suspicious(f"the list shows {len(known) - len(missing)} of {len(known)} known reports"
                              f" ({len(seen_urls)} report entries): nothing marked gone")
            return []
        answers: dict[str, set[tuple[int | None, str]]] = {}
        if run_id is not None and missing:
            for url, status, outcome in self.db.execute(
                    "SELECT url, status, outcome FROM captures WHERE run_id = ? AND role = 'detail'"
                    " AND source_id IS ?", [run_id, source_id]):
                answers.setdefault(url, set()).add((status, outcome))
        gone, first_miss = [], []
        for rid in missing:
            main, urls, since = known[rid]
            seen = set().union(*(answers.get(u, set()) for u in urls))
            not_found = any(st in (404, 410) for st, _ in seen) and \
                not any(out in ("ok", "not_modified") for _, out in seen)
            if run_id is None or not_found or (since is not None and since != run_id):
                gone.append((rid, main))
            elif since is None:
                first_miss.append(rid)
        listed = [rid for rid in known if rid not in missing and known[rid][2] is not None]
        with self.transaction() as db:
            for rid, _ in gone:
                db["reports"].update(rid, {"gone_at": when})
            for rid in first_miss:
                db["reports"].update(rid, {"missing_since": run_id})
            for rid in listed:
                db["reports"].update(rid, {"missing_since": None})
        return [u for _, u in sorted(gone)]


# db path → the WriterThread of this process that the ledger's captures go through.
# Jobs the ledger queues without waiting for them: they ride along in the batches (no count
# towards batch_items or derive_every), a failure is logged (nobody awaits their future).
_RIDERS = frozenset({"add_capture", "record_skip"})
_ACTIVE: dict[str, "WriterThread"] = {}


@functools.lru_cache(maxsize=64)
def _key(path) -> str:   # cached: resolving is a few stat calls, and every capture asks
    return str(Path(path).resolve())


class WriterThread:
    """The crawl's archive writes off the reactor, on one connection.

    A thread runs the submitted `Archive` calls (store_document, store_attachment, touch_report)
    back to back in one transaction: every item already queued, at most `batch_items` items or
    `batch_seconds`, each in its own savepoint (a failing item is rolled back alone and its
    future gets the exception), committed as soon as the queue is empty, so the write lock is
    never held idle. Futures resolve after the COMMIT: what a caller sees as stored is on disk,
    as with one transaction per item, and a crawl killed before a commit loses only items it had
    not been told were stored.

    The ledger's captures (`add_capture`, called on the reactor while this writer is `active` for
    the file) are queued like items and join the same batches (they do not count towards
    `batch_items`); the reactor never waits for the writer. What it gets back is a Capture whose
    id is a PendingCapture, resolved by this thread when an item naming it is stored (jobs run in
    queue order). A capture is on disk once its batch is committed, like an item: a crawl killed
    before that fetches the page again when resumed (its URL is not among the run's captures).
    `flush()` waits until everything queued so far is committed (before the crawl reads its
    captures back: idle rechecks, the run's close).

    Every `derive_every` stored items it drains the derive queue, a few reports per transaction;
    meanwhile captures and items wait in the queue, the reactor does not.
    """

    def __init__(self, db_path, warc_dir=None, batch_items: int = 50, batch_seconds: float = 0.25,
                 derive_every: int = 50, captures: bool = True):
        self.batch_items, self.batch_seconds, self.derive_every = max(1, batch_items), batch_seconds, derive_every
        self.jobs: queue.Queue = queue.Queue()
        self.lock = threading.Lock()   # the connection: this thread's, and close()'s
        self.cpu_seconds = 0.0   # thread CPU time spent writing (bench/bench_crawl.py)
        self.commits = 0
        self.archive: Archive | None = None
        self._key = _key(db_path)
        self._ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(db_path, warc_dir), name="archive-writer",
                                        daemon=True)
        self._thread.start()
        self._ready.result()   # the archive is open (and migrated) before the first item
        if captures:
            _ACTIVE[self._key] = self

    @staticmethod
    def active(db_path) -> "WriterThread | None":
        """The writer this process's captures of `db_path` go through, if one is running."""
        return _ACTIVE.get(_key(db_path)) if _ACTIVE else None

    def submit(self, method: str, **kw) -> Future:
        f: Future = Future()
        self.jobs.put((method, kw, f))
        return f

    def add_capture(self, **kw) -> Capture:
        """Archive.add_capture queued to this thread; returns at once with a pending id (above).
        The fetch time is taken now, as the body's digest (what the caller may read)."""
        body = kw.get("body")
        kw["fetched_at"] = kw.get("fetched_at") or utcnow()
        kw["digest"] = sha256(body) if body is not None else None
        pending = PendingCapture()
        self.jobs.put(("add_capture", {**kw, "_pending": pending}, Future()))
        return Capture(pending, kw["digest"], kw.get("outcome", "ok"))

    def flush(self, timeout: float | None = 120) -> None:
        """Wait until every job queued before this call is committed (or failed)."""
        if self._thread.is_alive():
            self.submit("").result(timeout)

    def close(self, timeout: float = 120) -> None:
        if _ACTIVE.get(self._key) is self:
            del _ACTIVE[self._key]
        self.jobs.put(None)
        self._thread.join(timeout)

    def _call(self, arc: Archive, method: str, kw: dict):
        if not method:   # flush(): a marker, nothing to write
            return None
        if method == "add_capture" and "_pending" in kw:
            kw = dict(kw)
            pending = kw.pop("_pending")
            try:
                cap = arc.add_capture(**kw)
            except BaseException as e:
                pending.error = e
                raise
            pending.id = cap.id
            return cap
        if any(isinstance(v, PendingCapture) for v in kw.values()):
            kw = {k: v.resolve() if isinstance(v, PendingCapture) else v for k, v in kw.items()}
        return getattr(arc, method)(**kw)

    def _drain(self, arc: Archive, per_lock: int = 2) -> None:
        from archive import derive
        conn = arc.db.conn
        while True:
            with self.lock, transaction(conn):
                ids = [r[0] for r in conn.execute(
                    "SELECT report_id FROM derive_queue ORDER BY report_id LIMIT ?", [per_lock])]
                if ids:
                    derive.derive(conn, ids)
                    conn.executemany("DELETE FROM derive_queue WHERE report_id = ?", [(i,) for i in ids])
            if not ids:
                return

    def _run(self, db_path, warc_dir) -> None:
        try:
            arc = self.archive = Archive(db_path, warc_dir, threads=True)
        except BaseException as e:  # noqa: BLE001 - told to the constructor
            self._ready.set_exception(e)
            return
        self._ready.set_result(None)
        conn = arc.db.conn
        stored = 0
        stop = False
        try:
            while not stop:
                job = self.jobs.get()
                if job is None:
                    break
                start_cpu, started = time.thread_time(), time.monotonic()
                done: list[tuple[Future, object, BaseException | None]] = []
                pendings: list[PendingCapture] = []
                items = ok_items = 0
                committed = False
                try:
                    with self.lock:
                        conn.execute("BEGIN IMMEDIATE")
                        arc._in_batch = True
                    while True:
                        method, kw, fut = job
                        item = bool(method) and method not in _RIDERS
                        if method == "add_capture" and "_pending" in kw:
                            pendings.append(kw["_pending"])
                        items += item
                        with self.lock:
                            try:
                                done.append((fut, self._call(arc, method, kw), None))
                                ok_items += item
                            except Exception as e:  # noqa: BLE001 - that item only; the caller gets it
                                done.append((fut, None, e))
                                if method in _RIDERS:
                                    log.warning("archive writer: %s of %s failed", method, kw.get("url"),
                                                exc_info=True)
                        if items >= self.batch_items or time.monotonic() - started >= self.batch_seconds:
                            break
                        try:   # only what is already queued: the write lock is never held idle
                            job = self.jobs.get_nowait()
                        except queue.Empty:
                            break
                        if job is None:
                            stop = True
                            break
                    with self.lock:
                        arc._in_batch = False
                        conn.execute("COMMIT")
                    committed = True
                except BaseException as e:
                    with self.lock:
                        arc._in_batch = False
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                    for p in pendings:   # rolled back: an item queued later must not name its id
                        p.id, p.error = None, p.error or e
                    done = [(f, None, e) for f, _, _ in done]
                self.commits += 1
                for fut, result, err in done:
                    fut.set_exception(err) if err is not None else fut.set_result(result)
                before = stored
                stored += ok_items if committed else 0
                if self.derive_every > 0 and stored // self.derive_every > before // self.derive_every:
                    try:
                        self._drain(arc)
                    except Exception:  # noqa: BLE001 - stays queued; the run's end drains it
                        log.warning("derive drain failed; the queue is drained at the run's end", exc_info=True)
                self.cpu_seconds += time.thread_time() - start_cpu
        finally:
            while True:   # nothing waits forever on a closed writer
                try:
                    job = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    if job[0] == "add_capture" and "_pending" in job[1]:
                        job[1]["_pending"].error = RuntimeError("archive writer closed")
                    job[2].set_exception(RuntimeError("archive writer closed"))
            with self.lock:
                arc.close()
