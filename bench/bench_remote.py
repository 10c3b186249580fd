"""Remote workers and one writer against a single-process crawl, in the same run.

    .venv/bin/python bench/bench_remote.py [--quick] [--workers 2] [--impolite/--polite]

Starts its own redis-server (a free port, a temporary directory, no persistence) and the farm,
then crawls the same farm sources twice:

1. `nianbao crawl` (one process) into a fresh archive;
2. `nianbao ingest` into another fresh archive, with N `nianbao crawl --redis URL --worker
   --remote` workers, each in a directory of its own (no access to the archive).

Reports documents (report pages and attachments written) per second for the single crawl (its
wall time) and for the remote setup (end to end, and the writer's own rate: documents over the
seconds it spent writing), CPU seconds of the writer and of the workers, Redis memory at its peak
(INFO memory used_memory_peak; this Redis served nothing else), the stream's peak length, and
whether the two archives are equal (bench/compare_archives.py; X-COPY-OTHER, derived in arrival
order, may differ now and then: tests/test_remote.py compares it after a fresh derive). The last
line is one JSON object `{"bench": "remote", ...}`.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

NIANBAO = [sys.executable, "-m", "cli.main"]
SCOPE = ["-s", "NIANBAO_ALLOW_PRIVATE_HOSTS=*.test"]
QUICK = ("farm-trs", "farm-yl")
FULL = ("farm-hw-county", "farm-hw-prov", "farm-hw-prov-truecms", "farm-trs", "farm-gd-zwgk", "farm-yl",
        "farm-hn-county")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _documents(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT (SELECT COUNT(*) FROM report_versions) + (SELECT COUNT(*) FROM attachments)"
                            ).fetchone()[0]
    finally:
        conn.close()


class Peak(threading.Thread):
    def __init__(self, client, key):
        super().__init__(daemon=True)
        self.client, self.key, self.peak = client, key, 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.client.xlen(self.key))
            time.sleep(0.02)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"two farm sources ({', '.join(QUICK)}) instead of {len(FULL)}")
    ap.add_argument("--workers", type=int, default=2, help="remote workers (default 2)")
    ap.add_argument("--polite", action="store_true",
                    help="keep politeness on (delays, robots): measures the crawl, not the writer")
    args = ap.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (make setup installs it)", file=sys.stderr)
        return 2
    import compare_archives
    import redis

    from crawler import registry as reg
    from farm import Farm
    from farm.redis_server import redis_server

    speed = [] if args.polite else ["--impolite"]
    wanted = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp, Farm(port=0) as farm:
        tmp = Path(tmp)
        with redis_server(tmp) as url:
            client = redis.Redis.from_url(url)
            if not args.polite:
                farm.set_politeness(False)
            farm.manifest()   # generate every body first: both runs meet a warm farm
            sources = [s for s in farm.sources() if s["id"] in wanted]
            reg.dump(sources, tmp / "farm.yml")
            single, remote = tmp / "single" / "archive.db", tmp / "remote" / "archive.db"
            single.parent.mkdir()
            remote.parent.mkdir()

            cpu0, t0 = _children_cpu(), time.perf_counter()
            code = subprocess.call(NIANBAO + ["crawl", "--db", str(single), "--registry", str(tmp / "farm.yml"),
                                              "--log-level", "ERROR", *speed, *SCOPE], cwd=ROOT, env=ENV)
            t_single, cpu_single = time.perf_counter() - t0, _children_cpu() - cpu0
            docs_single = _documents(single)

            base_mem = int(client.info("memory")["used_memory"])
            t0 = time.perf_counter()
            ingest = subprocess.Popen(NIANBAO + ["ingest", "--redis", url, "--db", str(remote), "--registry",
                                                 str(tmp / "farm.yml"), "--log-level", "WARNING"],
                                      cwd=ROOT, env=ENV, stdout=subprocess.PIPE, text=True)
            while not client.exists("nianbao:run"):
                if ingest.poll() is not None:
                    raise SystemExit(f"ingest ended with {ingest.returncode}")
                time.sleep(0.05)
            peak = Peak(client, "nianbao:ingest")
            peak.start()
            cpu0 = _children_cpu()
            workers = []
            for i in range(args.workers):
                d = tmp / f"worker{i}"
                d.mkdir()
                workers.append(subprocess.Popen(NIANBAO + ["crawl", "--redis", url, "--worker", "--remote",
                                                           "--log-level", "ERROR", *speed, *SCOPE], cwd=d, env=ENV))
            worker_codes = [w.wait() for w in workers]
            cpu_workers = _children_cpu() - cpu0
            cpu0 = _children_cpu()
            out, _ = ingest.communicate()
            cpu_writer = _children_cpu() - cpu0
            t_remote = time.perf_counter() - t0
            peak.stop.set()
            peak.join()
            mem = client.info("memory")
            conn = sqlite3.connect(remote)
            stats = json.loads(conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
            conn.close()
            docs_remote = _documents(remote)
            cmp = compare_archives.compare(str(single), str(remote))
            differ = sorted(n for n, r in cmp.items() if n != "checks_all" and (r["only_in_old"] or r["only_in_new"]))
            client.close()

    busy = stats.get("nianbao/ingest_seconds") or 0
    result = {
        "bench": "remote", "quick": args.quick, "impolite": not args.polite, "sources": len(sources),
        "workers": args.workers,
        "single": {"exit": code, "seconds": round(t_single, 2), "documents": docs_single,
                   "docs_per_s": round(docs_single / t_single, 2), "cpu_s": round(cpu_single, 2)},
        "remote": {"exit": ingest.returncode, "worker_exits": worker_codes, "seconds": round(t_remote, 2),
                   "documents": docs_remote, "docs_per_s": round(docs_remote / t_remote, 2),
                   "writer_busy_s": busy, "writer_docs_per_s": round(docs_remote / busy, 2) if busy else None,
                   "writer_cpu_s": round(cpu_writer, 2), "workers_cpu_s": round(cpu_workers, 2),
                   "messages": stats.get("nianbao/ingest_messages"), "stream_peak_entries": peak.peak},
        "end_to_end_ratio": round((docs_remote / t_remote) / (docs_single / t_single), 3),
        "writer_vs_single_ratio": round((docs_remote / busy) / (docs_single / t_single), 3) if busy else None,
        "redis_used_memory_peak": int(mem["used_memory_peak"]), "redis_used_memory_peak_human": mem["used_memory_peak_human"],
        "redis_used_memory_before": base_mem,
        "archives_equal": not differ, "differ": differ,
    }
    print(f"single process: {docs_single} documents in {t_single:.1f} s = {docs_single / t_single:.1f} docs/s")
    print(f"remote ({args.workers} workers + writer): {docs_remote} documents in {t_remote:.1f} s = "
          f"{docs_remote / t_remote:.1f} docs/s end to end; the writer wrote them in {busy:.1f} s busy "
          f"({result['remote']['writer_docs_per_s']} docs/s, {cpu_writer:.1f} s CPU)")
    print(f"Redis peak memory {mem['used_memory_peak_human']}; stream peak {peak.peak} entries; "
          f"archives equal: {not differ}")
    print(json.dumps(result, ensure_ascii=False))
    return 0 if not differ and code == 0 and ingest.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
