"""Peak RSS and time of the crawl on the bomb set (farm/portals/bombs.py), with the limits and,
as the baseline in the same run, without them.

`nianbao crawl` runs as a subprocess against a farm in this process; the RSS of the crawl
process and all its children (extraction workers) is summed every 50 ms (psutil). Printed per
run: wall time, peak RSS of the tree, CPU time of the tree, and what the archive holds.

  * limited: the crawl's defaults (1 bounded worker, 60 s, 1024 MB; the inner caps of
    docs/report-format.md "Limits").
  * inline: the inner caps, but no worker bound (NIANBAO_EXTRACT_PROCESSES=0).
  * unbounded: NIANBAO_EXTRACT_PROCESSES=0 (inline, no worker bound) and the inner caps set to
    "never" by patching their module constants in the crawl process (no setting turns them off).
    It is capped by a wall-time limit and an address-space ulimit and reported as killed when
    it hits one.

    .venv/bin/python bench/bench_bombs.py [--baseline-timeout 180] [--baseline-mem-gb 6]
    .venv/bin/python bench/bench_bombs.py --quick     # the unbounded run capped at 30 s

The bombs are the same in both modes (smaller ones would not reach the limits the bench is
about); --quick only shortens the run that is killed anyway.

Ends with one JSON line; `ratio` is the limited run's wall time over the unbounded run's (an
upper bound when the unbounded run was killed, as it is with the defaults).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.crawl_helpers import FAST, write_registry  # noqa: E402

NEVER = 10 ** 12
# The inner caps (pipelines/extract/grid.py, sniff.py), read at call time: patched to "never".
NO_CAPS = f"""
import pipelines.extract.grid as g, pipelines.extract.sniff as s
for m, names in ((g, ("MAX_PDF_PAGES", "MAX_PDF_PAGE_EDGES", "MAX_PDF_GRID_CROSSINGS",
                      "MAX_PDF_PAGE_CHARS", "MAX_PDF_NESTING")),
                 (s, ("MAX_ZIP_MEMBERS", "MAX_ZIP_UNCOMPRESSED", "MAX_ZIP_XML_PART", "MAX_ZIP_RATIO"))):
    for n in names:
        assert hasattr(m, n), n
        setattr(m, n, {NEVER})
from cli.main import main
main()
"""


class TreeSampler(threading.Thread):
    """Every `every` s: the summed RSS of `pid` and its descendants; the CPU time last seen of each."""

    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.root, self.every = psutil.Process(pid), every
        self.peak = 0
        self.peak_procs = 0
        self.cpu: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                    t = p.cpu_times()
                    self.cpu[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
            if total > self.peak:
                self.peak, self.peak_procs = total, len(procs)
            time.sleep(self.every)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(label: str, cmd: list[str], env: dict, timeout: float, mem_bytes: int | None, db: Path) -> dict:
    def limits():
        os.setsid()   # its own process group: a timeout kills the workers too
        if mem_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))

    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=limits)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    killed = None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed = f"killed at {timeout:.0f} s (wall-time limit)"
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    rc = proc.returncode
    if killed is None and rc not in (0, 1):
        killed = f"ended with exit code {rc}" + (" (MemoryError)" if "MemoryError" in err else "")
    res = {"label": label, "wall": wall, "peak_rss": sampler.peak, "procs": sampler.peak_procs,
           "cpu_sampled": sum(sampler.cpu.values()), "cpu_rusage": _children_cpu() - cpu0,
           "rc": rc, "killed": killed, "stdout": out.strip().splitlines()[-1:] if out else [],
           "stderr_tail": err[-600:] if killed else ""}
    res.update(archive_counts(db))
    return res


def archive_counts(db: Path) -> dict:
    if not db.exists():
        return {"captures": 0}
    conn = sqlite3.connect(db)
    try:
        def one(sql):
            try:
                return conn.execute(sql).fetchone()[0]
            except sqlite3.Error:
                return None
        return {"captures": one("SELECT COUNT(*) FROM captures"),
                "reports": one("SELECT COUNT(*) FROM reports"),
                "versions": one("SELECT COUNT(*) FROM report_versions"),
                "attachments": one("SELECT COUNT(*) FROM attachments"),
                "attachment_errors": one("SELECT group_concat(json_extract(error, '$.code'), ',') "
                                         "FROM attachments WHERE error IS NOT NULL"),
                "run": one("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")}
    finally:
        conn.close()


def show(r: dict) -> None:
    mb = r["peak_rss"] / 2 ** 20
    print(f"{r['label']:>10}: wall {r['wall']:6.1f} s | peak RSS of the tree {mb:7.0f} MB "
          f"({r['procs']} processes) | CPU {r['cpu_sampled']:6.1f} s sampled, {r['cpu_rusage']:6.1f} s rusage"
          f" | {r['killed'] or 'finished, exit ' + str(r['rc'])}")
    print(f"{'':>10}  archive: {r['captures']} captures, {r.get('reports')} reports, {r.get('versions')} versions, "
          f"{r.get('attachments')} attachments (errors: {r.get('attachment_errors')}); run {r.get('run')}")
    if r["stderr_tail"]:
        print(f"{'':>10}  stderr tail: {r['stderr_tail'][-300:]!r}")


def summary(r: dict) -> dict:
    return {"wall_s": round(r["wall"], 1), "peak_rss_mb": round(r["peak_rss"] / 2 ** 20),
            "procs": r["procs"], "cpu_s_sampled": round(r["cpu_sampled"], 1),
            "cpu_s_rusage": round(r["cpu_rusage"], 1), "killed": r["killed"], "rc": r["rc"],
            **{k: r.get(k) for k in ("captures", "reports", "versions", "attachments", "attachment_errors", "run")}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline-timeout", type=float, default=180,
                    help="wall-time limit of the unbounded run, seconds (default 180)")
    ap.add_argument("--baseline-mem-gb", type=float, default=6,
                    help="address-space limit of the unbounded run, GB (default 6)")
    ap.add_argument("--timeout", type=float, default=300,
                    help="wall-time limit of the limited and inline runs, seconds (default 300)")
    ap.add_argument("--quick", action="store_true", help="--baseline-timeout 30 (the same bombs and runs)")
    args = ap.parse_args()
    if args.quick:
        args.baseline_timeout = min(args.baseline_timeout, 30)
    cpu0 = _children_cpu() + time.process_time()

    from farm import Farm
    from farm.portals import bombs
    with Farm(port=0) as farm, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        bombs.portal_of(farm).warm()
        print(f"bombs built in {time.perf_counter() - t:.1f} s: "
              + ", ".join(f"{k} {len(bombs.portal_of(farm).data(k)) >> 10} KB" for k in [*bombs.BOMBS, "gzip"]))
        write_registry(tmp / "bombs.yml", bombs.sources(farm))
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        results = []
        for label, prefix, extra_env, timeout, mem in (
                ("limited", [sys.executable, "-m", "cli.main"], {}, args.timeout, None),
                ("inline", [sys.executable, "-m", "cli.main"], {"NIANBAO_EXTRACT_PROCESSES": "0"},
                 args.timeout, None),
                ("unbounded", [sys.executable, "-c", NO_CAPS], {"NIANBAO_EXTRACT_PROCESSES": "0"},
                 args.baseline_timeout, int(args.baseline_mem_gb * 2 ** 30))):
            db = tmp / f"{label}.db"
            cmd = [*prefix, "crawl", "--db", str(db), "--registry", str(tmp / "bombs.yml"),
                   "--log-level", "WARNING", *FAST, "-s", f"NIANBAO_WARC_DIR={tmp / label}"]
            r = run(label, cmd, {**env, **extra_env}, timeout, mem, db)
            show(r)
            results.append(r)
        lim, inline, base = results
        print(f"limited / unbounded: wall {lim['wall'] / base['wall']:.2f}×, "
              f"peak RSS {lim['peak_rss'] / max(1, base['peak_rss']):.2f}×"
              + (f" (the unbounded run was {base['killed']})" if base["killed"] else ""))
    print(json.dumps({"bench": "bombs", "ratio": round(lim["wall"] / base["wall"], 3),
                      "ratio_is": "limited wall / unbounded wall (an upper bound if the unbounded run was killed)",
                      "rss_ratio": round(lim["peak_rss"] / max(1, base["peak_rss"]), 3),
                      "inline_wall_ratio": round(lim["wall"] / inline["wall"], 3),
                      "inline_rss_ratio": round(lim["peak_rss"] / max(1, inline["peak_rss"]), 3),
                      "unbounded_killed": bool(base["killed"]), "baseline_timeout_s": args.baseline_timeout,
                      "limited": summary(lim), "inline": summary(inline), "unbounded": summary(base),
                      "cpu_s": round(_children_cpu() + time.process_time() - cpu0, 1)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
