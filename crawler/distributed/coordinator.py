"""The coordinator of a distributed crawl: opens the one run, publishes it in Redis, starts the
local workers, waits for every worker (remote ones included), then closes the run with the
workers' summed stats through the same `Ledger.close_run` a single-process crawl uses."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time

from archive.ledger import utcnow
from crawler.distributed import protocol
from crawler.distributed.protocol import BEAT_S, Keys, connect, keys_of, live_workers
from crawler.runstate import RunState


def coordinate(settings, redis_url: str, workers: int, worker_cmd: list[str], echo=print) -> dict:
    """Open the run, start `workers` local worker processes (`worker_cmd`), wait for every worker
    (remote ones included), close the run. Returns the run's summary."""
    server = connect(redis_url)
    keys = keys_of(settings)
    if server.exists(keys.run) and live_workers(server, keys):
        raise RuntimeError(f"a distributed crawl is already running on {redis_url} "
                           f"(workers: {', '.join(sorted(live_workers(server, keys)))})")
    for k in keys.all(server):
        server.delete(k)
    state = RunState(settings)   # opens and migrates the archive before any worker starts
    state.open_run()
    db_path = os.path.abspath(settings.get("NIANBAO_DB"))
    server.set(keys.run, json.dumps({"run_id": state.run_id, "db": db_path, "host": socket.gethostname(),
                                     "workers": workers, "interrupted": state.interrupted_runs,
                                     "sources": sorted(state.sources), "started_at": utcnow()}))
    started = time.monotonic()
    # Own sessions: a Ctrl-C reaches the coordinator only, which passes one SIGINT (Scrapy's
    # graceful stop) to each worker; a second one would make them stop uncleanly.
    procs = [subprocess.Popen(worker_cmd, start_new_session=True) for _ in range(workers)]
    echo(f"distributed run {state.run_id}: {workers} local workers on {redis_url}")
    interrupted = False
    try:
        codes = [p.wait() for p in procs]
        while live_workers(server, keys):     # workers that joined from elsewhere
            time.sleep(BEAT_S)
    except KeyboardInterrupt:
        interrupted = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(2)
        codes = [p.wait() for p in procs]
    summary = finish(server, keys, state.ledger, state.run_id, codes, interrupted, time.monotonic() - started)
    for k in keys.all(server):
        server.delete(k)
    state.ledger.close()
    return summary


def _sum_stats(rows: list[dict]) -> dict:
    total: dict = {}
    for stats in rows:
        for k, v in stats.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.endswith(("_time", "/max")):
                total[k] = total.get(k, 0) + v
    return total


def finish(server, keys: Keys, ledger, run_id: int, codes: list[int], interrupted: bool, seconds: float) -> dict:
    """Close the run (ledger.close_run) once every worker is done."""
    rows = ledger.workers(run_id)
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
        "nianbao/worker_exit_codes": codes,
    })
    reason = "interrupted" if interrupted else "finished" if finished else "worker failed"
    status = "finished" if finished else "aborted"
    # Only lists walked to their end by the workers together can prove a report disappeared.
    gone = ledger.close_run(run_id, status, reason, stats, protocol.lists(server, keys))
    return {"run_id": run_id, "status": status, "reason": reason,
            "workers": stats["nianbao/workers"], "gone": len(gone), "seconds": round(seconds, 1)}
