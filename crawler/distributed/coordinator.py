"""The coordinator of a distributed crawl: opens the one run, publishes it in Redis, starts the
local workers, writes what remote workers send (it is their one writer), waits for every worker,
then closes the run with the workers' summed stats through the same `Ledger.close_run` a
single-process crawl uses (marking gone reports, deriving checks and figures)."""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import time

from archive.ledger import NotYet, utcnow
from crawler.distributed import protocol
from crawler.distributed.protocol import Keys, connect, keys_of, live_workers, source_entries
from crawler.distributed.stream import BlobLost, Reader
from crawler.runstate import RunState

log = logging.getLogger(__name__)


class StreamWriter:
    """The one writer of remote workers' messages: reads the stream (crawler/distributed/stream.py),
    writes each message into the archive (archive/ingest.py, through the ledger), keeps the
    conditional-request state in Redis up to date, then acknowledges. A message that cannot be
    written is logged and counted (the run becomes partial), never retried forever."""

    def __init__(self, server, keys: Keys, ledger, run_id: int, echo=print):
        self.server, self.keys, self.echo = server, keys, echo
        self.ingest = ledger.ingest(run_id)
        self.reader = Reader(server, keys)
        self.errors = 0
        self.busy_s = 0.0
        self.parked: dict[str, list] = {}    # report URL → attachment messages waiting for their page

    def publish_conditional(self, sources: list[str]) -> int:
        state = self.ingest.conditional_state(sources)
        items = list(state.items())
        for i in range(0, len(items), 1000):
            self.server.hset(self.keys.conditional,
                             mapping={u: json.dumps(v) for u, v in items[i:i + 1000]})
        return len(items)

    def step(self, count: int = 100, block_ms: int = 500) -> int:
        """Write what the stream holds (up to `count` messages, waiting at most `block_ms` for one)."""
        msgs = self.reader.read(count, block_ms)
        if not msgs:
            return 0
        start = time.monotonic()
        with self.ingest.batch():   # one commit for the read (a savepoint per message)
            done = [m for m in msgs if self._write(m)]
            # attachments whose page came meanwhile (from another worker, or later in this batch)
            for url in self.ingest.take_pages():
                for m in self.parked.pop(url, []):
                    if self._write(m):
                        done.append(m)
        self.reader.ack(done)   # after the archive committed them: a writer killed before re-reads them
        self.busy_s += time.monotonic() - start
        return len(msgs)

    def _write(self, m, force: bool = False) -> bool:
        """Write one message; False when it waits for its report page (kept unacknowledged)."""
        try:
            got = self.ingest.apply(m.kind, m.worker, m.meta, self.reader.body(m), m.redelivered, force=force)
        except NotYet as e:
            self.parked.setdefault(e.report_url, []).append(m)
            self.reader.park(m)   # out of the senders' bound: the page it waits for must get through
            return False
        except BlobLost as e:
            self.ingest.lost(m.worker, m.kind, m.meta, str(e))
            self.errors += 1
            log.error("%s", e)
        except Exception as e:   # noqa: BLE001 - one bad message must not stop the writer
            self.errors += 1
            log.exception("could not write a %s from %s: %s", m.kind, m.worker, e)
        else:
            if got:
                self.server.hset(self.keys.conditional, mapping={u: json.dumps(v) for u, v in got.items()})
        return True

    def waiting(self) -> int:
        return sum(len(v) for v in self.parked.values())

    def flush_parked(self) -> None:
        """At the end: attachments whose page never came (its worker died) are written as far as
        they can be (store_attachment keeps nothing without a report; counted per worker)."""
        msgs = [m for ms in self.parked.values() for m in ms]
        self.parked = {}
        with self.ingest.batch():
            for m in msgs:
                self._write(m, force=True)
        self.reader.ack(msgs)

    def stats(self) -> dict:
        docs = self.ingest.documents
        return {"nianbao/ingest_messages": sum(v for k, v in self.ingest.messages.items() if k != "lost"),
                "nianbao/ingest_documents": docs, "nianbao/ingest_errors": self.errors,
                "nianbao/ingest_lost": self.ingest.messages.get("lost", 0),
                "nianbao/ingest_seconds": round(self.busy_s, 3),
                "nianbao/ingest_docs_per_s": round(docs / self.busy_s, 2) if self.busy_s else None}


def _adoptable(server, keys: Keys, state: RunState) -> dict | None:
    """The run published in Redis, when it is this archive's and still open there: its writer
    died (workers may still be at work, its stream may hold messages). The new writer takes it over."""
    raw = server.get(keys.run)
    if raw is None:
        return None
    info = json.loads(raw)
    if not protocol.same_archive(info, str(state.ledger.path)):
        return None
    if state.ledger.run_status(info["run_id"]) != "running":
        return None
    if not live_workers(server, keys) and not server.xlen(keys.stream):
        return None
    return info


def coordinate(settings, redis_url: str, workers: int, worker_cmd: list[str], echo=print,
               wait_join: float = 600.0) -> dict:
    """Open the run, start `workers` local worker processes (`worker_cmd`), write what remote
    workers send, wait for every worker, close the run. Returns the run's summary.

    With `workers=0` (`nianbao ingest`) it only writes and waits: for a first worker to join
    (at most `wait_join` seconds), then for every worker to finish. When the run published in
    Redis is this archive's and still open (its writer died), it is taken over instead."""
    server = connect(redis_url)
    keys = keys_of(settings)
    state = RunState(settings)   # opens and migrates the archive before any worker starts
    adopted = _adoptable(server, keys, state)
    if adopted is None:
        if server.exists(keys.run) and live_workers(server, keys):
            state.ledger.close()
            raise RuntimeError(f"a distributed crawl is already running on {redis_url} "
                               f"(workers: {', '.join(sorted(live_workers(server, keys)))})")
        for k in keys.all(server):
            server.delete(k)
        state.open_run()
        db_path = os.path.abspath(settings.get("NIANBAO_DB"))
        server.set(keys.run, json.dumps({
            "run_id": state.run_id, "db": db_path, "host": socket.gethostname(), "workers": max(workers, 1),
            "interrupted": state.interrupted_runs, "sources": sorted(state.sources), "started_at": utcnow(),
            # for remote workers, which have neither the registry nor the archive
            "source_entries": source_entries(state.sources.values()),
            "render_decisions": state.render_decision}, ensure_ascii=False))
    else:
        state.run_id = adopted["run_id"]
        echo(f"taking over distributed run {state.run_id} (its writer stopped)")
    writer = StreamWriter(server, keys, state.ledger, state.run_id, echo)
    if adopted is None:
        writer.publish_conditional(sorted(state.sources))
    started = time.monotonic()
    # Own sessions: a Ctrl-C reaches the coordinator only, which passes one SIGINT (Scrapy's
    # graceful stop) to each worker; a second one would make them stop uncleanly.
    procs = [subprocess.Popen(worker_cmd, start_new_session=True) for _ in range(workers)]
    echo(f"distributed run {state.run_id}: {workers} local workers on {redis_url}"
         + ("" if workers else "; waiting for workers (crawl --redis URL --worker [--remote])"))
    interrupted = no_worker = False
    join_by = time.monotonic() + wait_join
    try:
        while True:
            if writer.step():
                continue
            if any(p.poll() is None for p in procs):
                continue
            if not procs and not server.hlen(keys.workers):
                if time.monotonic() > join_by:
                    no_worker = True
                    break
                continue
            if live_workers(server, keys):        # workers that joined from elsewhere
                continue
            if writer.reader.backlog_size() <= writer.waiting():
                writer.flush_parked()
                break
    except KeyboardInterrupt:
        interrupted = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(2)
    codes = [p.wait() for p in procs]
    if interrupted:   # what the workers sent before they stopped
        while writer.step(block_ms=100):
            pass
        writer.flush_parked()
    extra = writer.stats()
    if no_worker:
        extra["nianbao/no_worker_joined"] = True
    summary = finish(server, keys, state.ledger, state.run_id, codes, interrupted, time.monotonic() - started, extra)
    for k in keys.all(server):
        server.delete(k)
    state.ledger.close()
    return summary


def _merge_lists(figures: list[dict]) -> dict:
    """One source's list figures (`nianbao/lists/<source>`, crawler/runstate.py) from the workers that
    each read some of its pages: entries found add up; a printed total is seen whole by every worker
    that read a page printing it, so the largest one counts (never less than what was found)."""
    found = sum(f.get("found") or 0 for f in figures)
    expected = max([found, *(f.get("expected") or 0 for f in figures)])
    return {"expected": expected, "found": found, "lists": max(f.get("lists") or 0 for f in figures),
            "unprinted": max(f.get("unprinted") or 0 for f in figures),
            # a worker that read one page of a list finds it short of its total: only the sum says
            "short": sorted({k for f in figures for k in f.get("short") or []}) if found < expected else [],
            "capped": any(f.get("capped") for f in figures)}


def _sum_stats(rows: list[dict]) -> dict:
    total: dict = {}
    lists: dict[str, list[dict]] = {}
    for stats in rows:
        for k, v in stats.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith(("_time", "/max")):
                total[k] = total.get(k, 0) + v
            elif k.startswith("nianbao/lists/") and isinstance(v, dict):
                lists.setdefault(k, []).append(v)
    total.update({k: _merge_lists(v) for k, v in lists.items()})
    return total


def finish(server, keys: Keys, ledger, run_id: int, codes: list[int], interrupted: bool, seconds: float,
           extra: dict | None = None) -> dict:
    """Close the run (ledger.close_run) once every worker is done. `extra`: the writer's stats."""
    rows = ledger.workers(run_id)
    extra = extra or {}
    worker_stats = [r["stats"] for r in rows]
    finished = bool(rows) and not interrupted and all(c == 0 for c in codes) \
        and all(r["status"] == "finished" for r in rows)
    stats = _sum_stats(worker_stats)
    stats.update({
        "nianbao/distributed": True, "elapsed_time_seconds": round(seconds, 3),
        "nianbao/workers": [{"worker": r["worker"], "status": r["status"], "reason": r["reason"],
                             "warc_file": r["warc_file"],
                             "captures": sum(v for k, v in s.items() if k.startswith("nianbao/outcome/")),
                             "reports_new": s.get("nianbao/report_versions_new", 0),
                             "attachments": s.get("nianbao/attachments", 0)}
                            for r, s in zip(rows, worker_stats)],
        "nianbao/worker_exit_codes": codes, **extra,
    })
    if extra.get("nianbao/ingest_errors"):   # messages that could not be written: items may be missing
        stats["log_count/ERROR"] = stats.get("log_count/ERROR", 0) + extra["nianbao/ingest_errors"]
    reason = ("interrupted" if interrupted else "no worker joined" if extra.get("nianbao/no_worker_joined")
              else "finished" if finished else "worker failed")
    status = "finished" if finished else "aborted"
    # Only lists walked to their end by the workers together can prove a report disappeared. A run
    # whose worker failed claims none: the requests it had taken (reports those lists showed) were
    # never fetched, so its list reads are no evidence of what was there (gone, observed lateness).
    gone = ledger.close_run(run_id, status, reason, stats, protocol.lists(server, keys) if finished else {})
    return {"run_id": run_id, "status": status, "reason": reason,
            "workers": stats["nianbao/workers"], "gone": len(gone), "seconds": round(seconds, 1),
            **{k.split("/", 1)[1]: v for k, v in extra.items() if k.startswith("nianbao/ingest_")}}
