"""A worker on another machine: `nianbao crawl --redis URL --worker --remote`.

It shares the queue, dupefilter, list bookkeeping and host pacing of a distributed crawl like any
worker, but it has no archive and needs no file from the archive's machine: the sources come from
the run published in Redis, and every write goes to the one writer through the bounded stream
(crawler/distributed/stream.py; the writer is archive/ingest.py, run by `nianbao ingest` or by a
coordinator).

- `RemoteLedger` stands in for archive/ledger.py: captures (with their bytes and what the WARC
  record needs) and marks become messages; a capture's id is a token the writer maps to its row.
  What the spider asks of the archive is answered from Redis: the conditional-request state
  (`<p>:conditional`, the ETag / Last-Modified of each archived attachment, published by the
  writer at the start of the run and kept up to date as it stores them) and the render decisions
  (in the run info). Detail pages are never asked conditionally: after a 304 the spider re-reads
  the page's links from its archived bytes, which are not here.
- `RemotePipeline` is the item pipeline with the same bounded extraction and the same identity
  rule; it sends the document it would have stored.
- `RemoteRunState` is the worker's run state with that ledger.

What a remote worker does not do: re-ask, at the end, for archived reports its lists no longer
show (that needs the archive); such a report is marked gone when a second finished run misses it
too (docs/archive.md, "Gone").
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
from concurrent.futures import Future
from dataclasses import asdict
from datetime import datetime, timedelta

from scrapy import signals

from archive.ledger import Capture, utcnow
from crawler.distributed import protocol
from crawler.distributed.protocol import connect, keys_of
from crawler.distributed.stream import MAX_BYTES, MAX_MESSAGES, Sender
from crawler.distributed.worker import DistributedRunState
from pipelines.bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, BoundedExtractor
from pipelines.scrapy_pipelines import ArchivePipeline


class RemoteLedger:
    """The ledger of a worker without an archive: writes become stream messages."""

    def __init__(self, settings):
        self.server = connect(settings.get("REDIS_URL"))
        self.keys = keys_of(settings)
        self.worker = settings.get("NIANBAO_WORKER_ID")
        self.sender = Sender(self.server, self.keys, self.worker,
                             max_messages=settings.getint("NIANBAO_STREAM_MAX_MESSAGES", MAX_MESSAGES),
                             max_bytes=settings.getint("NIANBAO_STREAM_MAX_BYTES", MAX_BYTES),
                             on_wait=self._beat)
        self.info: dict = {}
        self._last_at = ""
        self.warc_file = None

    def _beat(self):   # waiting for room in the stream is not being dead
        protocol.beat(self.server, self.keys, self.worker)

    def close(self) -> None:
        self.server.close()

    # ------------------------------------------------------------ sources and runs
    def sync_sources(self, rows: list[dict]) -> None:
        """The writer's coordinator synced them."""

    def render_decisions(self) -> dict[str, str]:
        return dict(self.info.get("render_decisions") or {})

    def set_render_decision(self, source_id: str, decision: str) -> None:
        self.sender.send("render", {"source_id": source_id, "decision": decision})

    def mark_blocked(self, source_id: str | None, reason: str) -> None:
        if source_id:
            self.sender.send("blocked", {"source_id": source_id, "reason": reason})

    def resume_urls(self, runs: list[int]) -> set[str]:
        return set()   # what an interrupted run archived is known to the archive only: fetched again

    def add_worker(self, run_id: int, worker: str, started_at: str | None = None) -> None:
        self.sender.send("worker", {"host": socket.gethostname(), "pid": os.getpid(),
                                    "started_at": started_at or utcnow()})

    def finish_worker(self, run_id: int, worker: str, status: str, reason: str, stats: dict) -> None:
        stats = {**stats, "nianbao/stream_sent": self.sender.sent, "nianbao/stream_sent_bytes": self.sender.sent_bytes,
                 "nianbao/stream_waits": self.sender.waits,
                 "nianbao/stream_waited_seconds": round(self.sender.waited_s, 3)}
        self.sender.send("done", {"status": status, "reason": reason, "stats": stats, "finished_at": utcnow()})

    def finish_run(self, run_id: int, status: str, reason: str, stats: dict) -> None:
        raise RuntimeError("a remote worker has no run of its own")

    # ------------------------------------------------------------ captures
    def _fetched_at(self) -> str:
        """Capture time, strictly increasing within this worker: with the URL, a capture's token."""
        now = utcnow()
        if now <= self._last_at:   # same millisecond (same format: the strings order as the times)
            last = datetime.strptime(self._last_at, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(milliseconds=1)
            now = last.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        self._last_at = now
        return now

    def add_capture(self, *, body: bytes | None = None, run_id=None, **kw) -> Capture:
        kw["fetched_at"] = kw.get("fetched_at") or self._fetched_at()
        token = f"{kw['fetched_at']} {kw['url']}"
        self.sender.send("capture", {"token": token, "capture": kw}, body)
        digest = hashlib.sha256(body).hexdigest() if body is not None else None
        return Capture(token, digest, kw.get("outcome", "ok"))

    def previous_capture(self, url: str) -> dict | None:
        raw = self.server.hget(self.keys.conditional, url)
        return json.loads(raw) if raw is not None else None

    def stored(self, url: str, role: str) -> bool:
        return role != "detail" and bool(self.server.hexists(self.keys.conditional, url))

    def last_page_body(self, url: str):
        return None

    def attachment_archived(self, url: str) -> bool:
        return False

    # ------------------------------------------------------------ list items and reports
    def skip(self, run_id, source_id: str, url: str, title: str | None, reason: str) -> None:
        self.sender.send("skip", {"source_id": source_id, "url": url, "title": title, "reason": reason})

    def lists_answered(self, run_id: int) -> set[str]:
        return set()

    def unlisted_reports(self, run_id: int, source_id: str, listed: set[str]) -> list[str]:
        return []


class RemoteRunState(DistributedRunState):
    """A distributed worker's run state whose ledger is a RemoteLedger."""

    def open_ledger(self, settings):
        return RemoteLedger(settings)

    def shares_archive(self, settings) -> bool:
        return True   # it writes, through the writer, into the coordinator's archive and run

    def __init__(self, settings):
        super().__init__(settings)
        self.ledger.info = self.info
        self.render_decision = self.ledger.render_decisions()


class _Sent:
    """Stands in for the pipeline's archive writer thread (archive.writer.WriterThread): each call
    is a message to the writer, done once it is in the stream."""

    cpu_seconds = 0.0

    def __init__(self, ledger: RemoteLedger):
        self.ledger = ledger

    def submit(self, method: str, **kw) -> Future:
        done: Future = Future()
        try:
            done.set_result(getattr(self, method)(**kw))
        except Exception as e:   # noqa: BLE001 - handed to the awaiting pipeline, as the thread would
            done.set_exception(e)
        return done

    def store_document(self, *, capture_id, source_id, url, doc, identity, seen):
        self.ledger.sender.send("report", {"capture": capture_id, "source_id": source_id, "url": url, "doc": doc,
                                           "identity": asdict(identity), "seen": seen.to_json()})
        return None, None, None   # new or unchanged: the writer counts it

    def store_attachment(self, *, report_url, capture_id, url, filename, doc):
        self.ledger.sender.send("attachment", {"capture": capture_id, "report_url": report_url, "url": url,
                                               "filename": filename, "doc": doc})

    def touch_report(self, url, when=None):
        self.ledger.sender.send("touch", {"url": url, "when": when or utcnow()})

    def close(self):
        pass


class RemotePipeline(ArchivePipeline):
    """ArchivePipeline (same bounded extraction, same identity rule, an attachment after its page)
    whose writer is the stream to the writer. Its __init__ mirrors ArchivePipeline's (keep them in
    step; tests/test_remote.py runs this pipeline)."""

    def __init__(self, crawler):   # not super().__init__: that opens the archive file
        from crawler.runstate import RunState
        self.crawler = crawler
        self.stats = crawler.stats
        self.writer = _Sent(RunState.of(crawler).ledger)
        settings = crawler.settings
        n = settings.getint("NIANBAO_EXTRACT_PROCESSES", 1)
        self.pool = BoundedExtractor(n, timeout=settings.getfloat("NIANBAO_EXTRACT_TIMEOUT", DEFAULT_TIMEOUT_S),
                                     memory_mb=settings.getint("NIANBAO_EXTRACT_MEMORY_MB", DEFAULT_MEMORY_MB)
                                     ) if n > 0 else None
        self.pages = {}
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
