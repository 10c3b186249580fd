"""Every canned query of metadata.yml on a 100,000-report synthetic archive (target: < 200 ms).

    python bench/bench_queries.py                  # builds bench/out/queries-100000.db once
    python bench/bench_queries.py --n 20000 --base 2000
    python bench/bench_queries.py --quick          # 5,000 reports (--n 5000 --base 1000)

The archive comes from bench/synthetic.py (real checks, search indexes). Building 100,000
reports one by one takes over an hour (jieba, checks), so a `--base` archive is built and
copied with SQL (bench/synthetic.amplify) into distinct agencies until it has `--n` reports:
the row counts, index sizes
and query plans are those of a 100,000-report archive.

Two figures per query, median of `--repeat` runs: the SQL alone (sqlite3 with the plugin's SQL
functions) and the full answer of a real `datasette` process over HTTP (`.json`). Baseline:
`select count(*) from reports` over HTTP, i.e. Datasette's own overhead.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.datasette.sqlfunctions import register_functions  # noqa: E402
from archive.serve import background  # noqa: E402

# Realistic parameters: a year, an agency fragment, a two-character search word.
PARAMS = {
    "applications_by_year_region": {"year": "2022", "region": ""},
    "outcome_shares": {"agency": "海宁", "year": "2022"},
    "denied_reasons": {"year": "2022", "agency": ""},
    "failing_balance": {"year": "2022"},
    "carry_over_mismatches": {"year": "2022", "agency": ""},
    "late_reports": {"year": "2022"},
    "changed_after_publication": {"agency": ""},
    "agency_t3_across_years": {"agency": "海宁市教育局"},
    "agency_tables_across_years": {"agency": "海宁市教育局", "tbl": ""},
    "search_reports": {"q": "复议"},
    "reports_without_tables": {"year": "2022"},
    "late_by_observation": {"year": "2022"},
    "agencies": {"q": "海宁"},
    "source_health": {"status": ""},
}
# The same queries with every filter left blank (the form as first opened).
BLANK = {name: {k: ("复议" if k == "q" else "") for k in p} for name, p in PARAMS.items()}
BLANK["agency_t3_across_years"] = PARAMS["agency_t3_across_years"]
BLANK["agency_tables_across_years"] = PARAMS["agency_tables_across_years"]

def prepare(out: Path, n: int, base: int) -> Path:
    path = out / f"queries-{n}.db"
    if path.exists():
        return path
    from bench.synthetic import amplify, build
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"queries-{n}.building.db"
    started = time.time()
    print(f"building a {base}-report synthetic archive…", flush=True)
    build(tmp, min(base, n), 0, progress=True)   # replaces a half-built file
    print(amplify(tmp, n, progress=True), flush=True)
    tmp.rename(path)
    print(f"archive ready in {time.time() - started:.0f}s: {path}", flush=True)
    return path


def sql_times(path: Path, queries: dict, params: dict, repeat: int,
              only_once: bool = False) -> dict[str, float]:
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    register_functions(conn)
    out = {}
    for name, q in queries.items():
        times = []
        for _ in range(1 if only_once else repeat):
            t = time.perf_counter()
            conn.execute(q["sql"], params[name]).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        out[name] = statistics.median(times)
    conn.close()
    return out


def http_times(url: str, db: str, queries: dict, params: dict, repeat: int) -> dict[str, tuple]:
    out = {}
    for name in queries:
        qs = urllib.parse.urlencode({**params[name], "_shape": "array", "_ttl": 0})
        times, rows = [], 0
        for _ in range(repeat):
            t = time.perf_counter()
            try:
                body = urllib.request.urlopen(f"{url}/{db}/{name}.json?{qs}", timeout=60).read()
            except urllib.error.HTTPError as e:  # e.g. the SQL time limit cut it off
                print(f"  {name}: HTTP {e.code} {e.read()[:200]!r}", flush=True)
                times.append(float("inf"))
                break
            times.append((time.perf_counter() - t) * 1000)
            rows = len(json.loads(body))
        out[name] = (statistics.median(times), rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--base", type=int, default=2500, help="reports built by bench/synthetic.py")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget-ms", type=float, default=200.0)
    ap.add_argument("--quick", action="store_true", help="5,000 reports")
    a = ap.parse_args()
    if a.quick:
        a.n, a.base = 5000, 1000
    path = prepare(a.out, a.n, a.base)
    from archive import figures  # what `nianbao serve` does before publishing
    t = time.time()
    print(("rebuilt" if figures.refresh(path) else "up-to-date") +
          f" report_figures ({time.time() - t:.0f}s)")
    meta = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    queries = meta["databases"]["archive"]["queries"]
    missing = set(queries) - set(PARAMS)
    assert not missing, f"add parameters for {missing}"
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    n = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    cells = conn.execute("SELECT COUNT(*) FROM cell_values").fetchone()[0]
    conn.close()
    print(f"\narchive: {n:,} reports, ~{cells:,} cells, {path.stat().st_size / 2**20:,.0f} MiB")
    db_name = path.stem
    results = {}
    for label, params in (("filtered", PARAMS), ("blank", BLANK)):
        sql = sql_times(path, queries, params, a.repeat)
        with background(path) as url:
            qs = urllib.parse.urlencode({"sql": "select count(*) from reports", "_shape": "array"})
            bl = []
            for _ in range(a.repeat):
                t = time.perf_counter()
                urllib.request.urlopen(f"{url}/{db_name}.json?{qs}").read()
                bl.append((time.perf_counter() - t) * 1000)
            http = http_times(url, db_name, queries, params, a.repeat)
        results[label] = (sql, http, statistics.median(bl))
    worst = 0.0
    for label, (sql, http, baseline) in results.items():
        print(f"\n{label} parameters — median of {a.repeat} (ms); baseline "
              f"`select count(*) from reports` over HTTP: {baseline:.1f} ms")
        print(f"{'query':32} {'SQL':>8} {'HTTP':>8} {'rows':>6} {'×baseline':>10}")
        for name in queries:
            h, rows = http[name]
            worst = max(worst, h)
            flag = "" if h < a.budget_ms else "  OVER BUDGET"
            print(f"{name:32} {sql[name]:8.1f} {h:8.1f} {rows:6d} {h / baseline:10.1f}{flag}")
    print(f"\nslowest answer: {worst:.1f} ms (budget {a.budget_ms:.0f} ms): "
          + ("all within budget" if worst < a.budget_ms else "OVER BUDGET"))
    print(json.dumps({"bench": "queries", "reports": n, "ratio": round(worst / a.budget_ms, 3),
                      "ratio_is": "slowest HTTP answer / budget", "slowest_ms": round(worst, 1),
                      "http": {label: {q: round(h[q][0], 1) for q in h} for label, (_, h, _) in results.items()}},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
