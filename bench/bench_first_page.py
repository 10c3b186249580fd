"""First load of `/` on the 100,000-report synthetic archive, with and without `<db>.inspect.json`.

    python bench/bench_first_page.py               # reuses bench/out/queries-100000.db (bench_queries.py)
    python bench/bench_first_page.py --quick       # 5,000 reports, one run each
    python bench/bench_first_page.py --repeat 3

Served immutable, Datasette hashes the whole file and counts every table at its first request
(before it answers `/`). A run now ends by writing both into `<db>.inspect.json`
(archive/inspectfile.py), which `nianbao serve` hands to `datasette --inspect-file` while it
still describes the file. Each run here starts a real `datasette` process with `nianbao serve`'s
arguments, waits for its port (no request), then times the first `GET /` (wall, and the server's
CPU from /proc). Baseline: the same without the inspect file, in the same run, alternated so the
page cache treats both alike. Also printed: the cost of writing the file (what a run's end pays
once), of checking it (what `nianbao serve` pays every start), and a warm `/` (second request).
Goal (issue 16): first `/` < 1 s.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import figures, inspectfile  # noqa: E402
from archive.serve import datasette_args, free_port, stop  # noqa: E402
from bench.bench_queries import prepare  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def first_page(path: Path, use_inspect: bool, timeout: float = 600) -> dict:
    """Start datasette as `nianbao serve` would; time startup, the first `/` and a second one."""
    found = inspectfile.usable(path) if use_inspect else None
    if use_inspect and not found:
        raise SystemExit(f"no valid inspect file next to {path}")
    port = free_port()
    args = datasette_args(path, "127.0.0.1", port, None, True, inspect_file=found)
    exe = Path(sys.executable).with_name("datasette")
    started = time.perf_counter()
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("datasette exited: " + proc.stderr.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        startup = time.perf_counter() - started
        cpu0 = cpu_s(proc.pid)
        t = time.perf_counter()
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout).read()
        first = time.perf_counter() - t
        cpu = cpu_s(proc.pid) - cpu0
        assert b"reports" in body, body[:300]
        t = time.perf_counter()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout).read()
        warm = time.perf_counter() - t
    finally:
        stop(proc)
    return {"startup_s": startup, "first_s": first, "first_cpu_s": cpu, "warm_s": warm}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--base", type=int, default=2500, help="reports built by bench/synthetic.py")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--repeat", type=int, default=2, help="datasette starts per mode")
    ap.add_argument("--goal-s", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true", help="5,000 reports, one start per mode")
    a = ap.parse_args()
    if a.quick:
        a.n, a.base, a.repeat = 5000, 1000, 1
    path = prepare(a.out, a.n, a.base)
    t = time.time()
    print(("rebuilt" if figures.refresh(path) else "up-to-date") +
          f" report_figures ({time.time() - t:.0f}s)", flush=True)   # as at the end of a run
    size_mib = path.stat().st_size / 2**20

    # What the end of a run pays once: write the file from scratch.
    inspectfile.path_for(path).unlink(missing_ok=True)
    c0, t = time.process_time(), time.perf_counter()
    assert inspectfile.write(path), "the archive is being written"
    write_s, write_cpu = time.perf_counter() - t, time.process_time() - c0
    t = time.perf_counter()
    for _ in range(100):
        assert inspectfile.usable(path)
    check_ms = (time.perf_counter() - t) * 10   # per check, in ms
    tables = len(json.loads(inspectfile.path_for(path).read_text("utf-8"))[path.stem]["tables"])
    print(f"archive {path.name}: {size_mib:,.0f} MiB, {tables} tables; inspect file written in "
          f"{write_s:.1f}s ({write_cpu:.1f}s CPU), checked in {check_ms:.2f} ms", flush=True)

    runs: dict[str, list[dict]] = {"without": [], "with": []}
    for i in range(a.repeat):
        for mode in ("without", "with"):
            r = first_page(path, mode == "with")
            runs[mode].append(r)
            print(f"  run {i + 1} {mode:7} inspect file: startup {r['startup_s']:5.2f}s, first / "
                  f"{r['first_s']:6.2f}s ({r['first_cpu_s']:5.2f}s CPU), warm / {r['warm_s']:.3f}s", flush=True)
    med = {m: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for m, rs in runs.items()}
    w, wo = med["with"], med["without"]
    print(f"\nfirst load of / (median of {a.repeat}), {path.name}:")
    print(f"{'':22} {'startup':>8} {'first /':>8} {'CPU':>7} {'warm /':>8}")
    for m in ("without", "with"):
        x = med[m]
        print(f"{m + ' inspect file':22} {x['startup_s']:7.2f}s {x['first_s']:7.2f}s "
              f"{x['first_cpu_s']:6.2f}s {x['warm_s']:7.3f}s")
    ok = w["first_s"] < a.goal_s
    print(f"with the inspect file: {w['first_s']:.2f}s vs {wo['first_s']:.2f}s "
          f"({wo['first_s'] / max(w['first_s'], 1e-6):.0f}x faster); goal < {a.goal_s:g}s: "
          + ("met" if ok else "NOT MET"))
    print(json.dumps({
        "bench": "first_page", "reports": a.n, "db_mib": round(size_mib),
        "ratio": round(w["first_s"] / wo["first_s"], 4),
        "ratio_is": "first / with the inspect file ÷ first / without (Datasette hashing and counting)",
        "first_s": {"with": round(w["first_s"], 3), "without": round(wo["first_s"], 3)},
        "first_cpu_s": {"with": round(w["first_cpu_s"], 3), "without": round(wo["first_cpu_s"], 3)},
        "startup_s": {"with": round(w["startup_s"], 2), "without": round(wo["startup_s"], 2)},
        "warm_s": {"with": round(w["warm_s"], 3), "without": round(wo["warm_s"], 3)},
        "inspect_write_s": round(write_s, 1), "inspect_write_cpu_s": round(write_cpu, 1),
        "inspect_check_ms": round(check_ms, 2), "goal_s": a.goal_s, "goal_met": ok,
        "runs": {m: [{k: round(v, 3) for k, v in r.items()} for r in rs] for m, rs in runs.items()}},
        ensure_ascii=False))


if __name__ == "__main__":
    main()
