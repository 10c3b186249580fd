"""The writer's side of remote workers: what a worker on another machine sent, written into the
archive and its WARC files exactly as a local worker would have written it.

A remote worker (crawler/distributed/remote.py) has no archive: its ledger and item pipeline turn
every write into a message (kind, JSON meta, optional body) on a Redis stream
(crawler/distributed/stream.py). `Ingest.apply` writes one message through the same calls a
local crawl makes — `Archive.add_capture` (the WARC response record from the same status, headers,
request headers and bytes; content-addressed), `store_document` / `store_attachment` with the
document the worker extracted and the identity it settled, the ledger's marks — so one archive
fed by remote workers equals the archive of a single-process crawl of the same sources.

Messages of one worker arrive in the order it sent them (a capture before the document read from
it, a report page before its attachments). A capture is named by the worker's token
(`"<fetched_at> <url>"`, unique within a worker): the document that follows refers to it. A
message read again after a writer died before acknowledging it (`redelivered`) may have been
written already: its capture is looked up by that natural key instead of written twice; the
document and attachment stores are idempotent by themselves.
"""
from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager

from archive.store import find_report
from archive.writer import utcnow
from nianbao.identity import Identity, Seen

KINDS = ("worker", "capture", "report", "touch", "attachment", "blocked", "render", "skip", "done")
CACHE = 200_000        # capture tokens remembered; older ones are looked up by their natural key


class IngestError(ValueError):
    """A message that cannot be written (unknown kind, a capture never received)."""


class NotYet(Exception):
    """An attachment whose report page is not written yet: another worker fetched the file before
    the page's worker sent the page. The caller keeps it (unacknowledged) until the page comes."""

    def __init__(self, report_url: str):
        super().__init__(report_url)
        self.report_url = report_url


class Ingest:
    def __init__(self, ledger, run_id: int, derive_batch: int = 50):
        self.ledger = ledger
        self.archive = ledger.archive
        self.run_id = run_id
        self.derive_batch = derive_batch
        self.tokens: dict[str, int] = {}
        self.counts: dict[str, Counter] = {}    # per worker: what only the archive knows (new vs unchanged)
        self.stored = 0
        self._undrained = 0
        self.documents = 0                      # reports and attachments written
        self.messages = Counter()
        self.pages: list[str] = []              # report URLs written since `take_pages`

    # ------------------------------------------------------------ conditional-request state
    def conditional_state(self, sources: list[str]) -> dict[str, dict]:
        """URL → {etag, last_modified} of the newest successful capture of every attachment or
        image the archive holds for `sources`: what a remote worker may ask conditionally
        (details are always fetched whole: their bytes are needed to re-read their links)."""
        if not sources:
            return {}
        marks = ",".join("?" * len(sources))
        rows = self.archive.db.execute(
            "SELECT c.url, c.etag, c.last_modified FROM captures c JOIN ("
            " SELECT url, MAX(id) AS id FROM captures WHERE outcome = 'ok'"
            f" AND url IN (SELECT a.url FROM attachments a JOIN reports r ON r.id = a.report_id"
            f" WHERE r.source_id IN ({marks})) GROUP BY url) m ON m.id = c.id"
            " WHERE c.etag IS NOT NULL OR c.last_modified IS NOT NULL", list(sources))
        return {url: {"etag": etag, "last_modified": lm} for url, etag, lm in rows}

    # ------------------------------------------------------------ one message
    def apply(self, kind: str, worker: str, meta: dict, body: bytes | None = None,
              redelivered: bool = False, force: bool = False) -> dict | None:
        """Write one message. Returns {url: {etag, last_modified}} when it stored an attachment
        whose capture can be asked conditionally next time, else None. Raises NotYet for an
        attachment whose page is not written yet (unless `force`: at the end of a run)."""
        if kind not in KINDS:
            raise IngestError(f"unknown message kind {kind!r} from {worker}")
        if kind == "attachment" and not force and find_report(self.archive.db, meta["report_url"]) is None:
            raise NotYet(meta["report_url"])
        self.messages[kind] += 1
        return getattr(self, f"_{kind}")(worker, meta, body, redelivered)

    def take_pages(self) -> list[str]:
        """Report URLs written since the last call (attachments waiting for them can go now)."""
        out, self.pages = self.pages, []
        return out

    def _count(self, worker: str, key: str) -> None:
        self.counts.setdefault(worker, Counter())[key] += 1

    @contextmanager
    def batch(self):
        """The messages of one read in ONE write transaction, each in its own savepoint (a failing
        message is rolled back alone): one commit for many, as the crawl's WriterThread does. The
        caller acknowledges them only after this returns (committed). Derived data is drained
        between batches, every `derive_batch` stored documents."""
        conn = self.archive.db.conn
        conn.execute("BEGIN IMMEDIATE")
        self.archive._in_batch = True   # Archive.transaction() becomes a savepoint (archive/writer.py)
        try:
            yield self
        except BaseException:
            self.archive._in_batch = False
            conn.execute("ROLLBACK")
            raise
        self.archive._in_batch = False
        conn.execute("COMMIT")
        if self.derive_batch > 0 and self._undrained >= self.derive_batch:
            self._undrained = 0
            self.archive.drain_derived()

    def _derive(self) -> None:
        self.stored += 1
        self._undrained += 1

    def _worker(self, worker, meta, body, redelivered):
        with self.archive.transaction() as db:
            if db.execute("SELECT 1 FROM crawl_workers WHERE run_id = ? AND worker = ?",
                          [self.run_id, worker]).fetchone():
                return None
            db.execute("INSERT INTO crawl_workers (run_id, worker, host, pid, started_at) VALUES (?,?,?,?,?)",
                       [self.run_id, worker, meta.get("host"), meta.get("pid"), meta.get("started_at") or utcnow()])
        return None

    def _capture(self, worker, meta, body, redelivered):
        kw = dict(meta["capture"])
        token = meta["token"]
        if redelivered and (cid := self._lookup(token)) is not None:
            self._remember(token, cid)
            return None
        for k in ("headers", "request_headers"):
            if kw.get(k) is not None:
                kw[k] = [tuple(h) for h in kw[k]]
        cap = self.archive.add_capture(run_id=self.run_id, body=body, **kw)
        self._remember(token, cap.id)
        return None

    def _remember(self, token: str, cid: int) -> None:
        self.tokens[token] = cid
        if len(self.tokens) > CACHE:
            self.tokens.pop(next(iter(self.tokens)))

    def _lookup(self, token: str) -> int | None:
        fetched_at, _, url = token.partition(" ")
        row = self.archive.db.execute(
            "SELECT id FROM captures WHERE run_id = ? AND url = ? AND fetched_at = ? ORDER BY id DESC LIMIT 1",
            [self.run_id, url, fetched_at]).fetchone()
        return row[0] if row else None

    def capture_id(self, token: str | None) -> int:
        if token is None:
            raise IngestError("a document without its capture")
        cid = self.tokens.get(token)
        if cid is None:
            cid = self._lookup(token)
        if cid is None:
            raise IngestError(f"capture {token!r} was never received")
        return cid

    def _report(self, worker, meta, body, redelivered):
        cid = self.capture_id(meta.get("capture"))
        _, _, new = self.archive.store_document(
            capture_id=cid, source_id=meta["source_id"], url=meta["url"], doc=meta["doc"],
            identity=Identity(**meta["identity"]), seen=Seen.from_json(meta.get("seen")))
        self._count(worker, "report_versions_new" if new else "reports_unchanged")
        self.pages.append(meta["url"])
        self.documents += 1
        self._derive()
        return None

    def _touch(self, worker, meta, body, redelivered):
        self.archive.touch_report(meta["url"], meta.get("when"))
        return None

    def _attachment(self, worker, meta, body, redelivered):
        cid = self.capture_id(meta.get("capture"))
        att = self.archive.store_attachment(report_url=meta["report_url"], capture_id=cid, url=meta["url"],
                                            filename=meta.get("filename"), doc=meta["doc"])
        self.documents += 1
        self._derive()
        if att is None:
            self._count(worker, "attachments_without_report")
            return None
        etag, lm = self.archive.db.execute("SELECT etag, last_modified FROM captures WHERE id = ?", [cid]).fetchone()
        return {meta["url"]: {"etag": etag, "last_modified": lm}} if etag or lm else None

    def _blocked(self, worker, meta, body, redelivered):
        self.ledger.mark_blocked(meta.get("source_id"), meta["reason"])

    def _render(self, worker, meta, body, redelivered):
        self.ledger.set_render_decision(meta["source_id"], meta["decision"])

    def _skip(self, worker, meta, body, redelivered):
        self.ledger.skip(self.run_id, meta["source_id"], meta["url"], meta.get("title"), meta["reason"])

    def _done(self, worker, meta, body, redelivered):
        stats = dict(meta.get("stats") or {})
        counts = {"report_versions_new": 0, "reports_unchanged": 0, **(self.counts.get(worker) or {})}
        for k, v in counts.items():   # the worker cannot know new from unchanged: the archive does
            stats[f"nianbao/{k}"] = v
        with self.archive.transaction() as db:
            db.execute("UPDATE crawl_workers SET finished_at = ?, status = ?, finish_reason = ?, warc_file = ?,"
                       " stats = ? WHERE run_id = ? AND worker = ?",
                       [meta.get("finished_at") or utcnow(), meta["status"], meta.get("reason"),
                        self.archive.warc_file, json.dumps(stats, ensure_ascii=False, default=str),
                        self.run_id, worker])

    def lost(self, worker: str, kind: str, meta: dict, error: str) -> None:
        """A message whose body was lost in transit: its capture is kept as an error, so the run
        says so (and the next run fetches the URL again)."""
        self.messages["lost"] += 1
        self._count(worker, "ingest_lost")
        if kind == "capture":
            kw = dict(meta["capture"])
            kw.update(outcome="error", error=f"lost in transit to the writer: {error}")
            for k in ("headers", "request_headers"):
                if kw.get(k) is not None:
                    kw[k] = [tuple(h) for h in kw[k]]
            cap = self.archive.add_capture(run_id=self.run_id, body=None, **kw)
            self._remember(meta["token"], cap.id)
