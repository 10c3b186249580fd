"""Every canned query of metadata.yml on a 100,000-report synthetic archive (target: < 200 ms).

    python bench/bench_queries.py                  # builds bench/out/queries-100000.db once
    python bench/bench_queries.py --n 20000 --base 2000

The archive comes from bench/synthetic.py (real checks, search indexes). Building 100,000
reports one by one takes over an hour (jieba, checks), so a `--base` archive is built and
copied with SQL into distinct agencies until it has `--n` reports: the row counts, index sizes
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
}
# The same queries with every filter left blank (the form as first opened).
BLANK = {name: {k: ("复议" if k == "q" else "") for k in p} for name, p in PARAMS.items()}
BLANK["agency_t3_across_years"] = PARAMS["agency_t3_across_years"]
BLANK["agency_tables_across_years"] = PARAMS["agency_tables_across_years"]

COPY_TABLES = ("captures", "reports", "report_versions", "cells", "checks")


def amplify(path: Path, n: int, base: int) -> int:
    """Copy the first `base` reports (with captures, versions, cells, checks, search rows) under
    new ids and agency names until the archive holds `n` reports. Indexes and the FTS trigger
    are dropped during the copy and rebuilt once at the end (much faster than row by row)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    have = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    copy = have // base - 1
    saved = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND ((type = 'index' AND "
        f"tbl_name IN ({','.join(repr(t) for t in COPY_TABLES)})) OR (type = 'trigger' AND "
        "tbl_name = 'reports'))").fetchall()
    for kind, name, _ in saved:
        conn.execute(f"DROP {kind.upper()} {name}")
    while have < n:
        copy += 1
        off = copy * base
        take = min(base, n - have)
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO captures (id, run_id, source_id, url, final_url, status, content_type, "
            "sha256, size, fetched_at, outcome, role) SELECT id + ?1, run_id, source_id, "
            "url || '#' || ?2, final_url, status, content_type, sha256, size, fetched_at, outcome, "
            "role FROM captures WHERE id <= ?3", [off, copy, take])
        conn.execute(
            "INSERT INTO reports (id, source_id, url, title, agency, agency_key, report_year, "
            "published, first_seen, last_seen, format, kind, current_version_id, body_text) "
            "SELECT id + ?1, source_id, url || '#' || ?2, title, agency || '第' || ?2 || '组', "
            "agency_key || '第' || ?2 || '组', report_year, published, first_seen, last_seen, "
            "format, kind, current_version_id + ?1, body_text FROM reports WHERE id <= ?3",
            [off, copy, take])
        conn.execute(
            "INSERT INTO report_versions (id, report_id, capture_id, sha256, seen_at, "
            "extractor_version, is_current, doc_type, format, title, document, part, content_sha) "
            "SELECT id + ?1, report_id + ?1, capture_id + ?1, sha256, seen_at, extractor_version, "
            "is_current, doc_type, format, title, document, part, content_sha "
            "FROM report_versions WHERE report_id <= ?2", [off, take])
        conn.execute(
            "INSERT INTO cells (report_id, version_id, tbl, row_key, col_key, value, raw, "
            "semantic, locator, capture_id) SELECT report_id + ?1, version_id + ?1, tbl, row_key, "
            "col_key, value, raw, semantic, locator, capture_id + ?1 FROM cells "
            "WHERE report_id <= ?2", [off, take])
        conn.execute(
            "INSERT INTO checks (report_id, version_id, check_id, check_version, scope, status, "
            "expression, expected, actual, delta, detail, cells, is_current, if_blanks_zero) "
            "SELECT report_id + ?1, version_id + ?1, check_id, check_version, scope, status, "
            "expression, expected, actual, delta, detail, cells, is_current, if_blanks_zero "
            "FROM checks WHERE report_id <= ?2", [off, take])
        conn.execute("INSERT INTO reports_seg (rowid, title, body_text) SELECT rowid + ?1, "
                     "title, body_text FROM reports_seg WHERE rowid <= ?2", [off, take])
        conn.execute("COMMIT")
        have += take
        print(f"  copied to {have} reports", flush=True)
    for _, name, sql in saved:
        conn.execute(sql)
        print(f"  rebuilt {name}", flush=True)
    conn.execute("INSERT INTO reports_fts (reports_fts) VALUES ('rebuild')")
    conn.execute("ANALYZE")
    conn.close()
    return have


def prepare(out: Path, n: int, base: int) -> Path:
    path = out / f"queries-{n}.db"
    if path.exists():
        return path
    from bench.synthetic import build
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"queries-{n}.building.db"
    started = time.time()
    if not tmp.exists():  # a half-amplified file is resumed
        print(f"building a {base}-report synthetic archive…", flush=True)
        build(tmp, min(base, n), 0, progress=True)
    amplify(tmp, n, min(base, n))
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
    a = ap.parse_args()
    path = prepare(a.out, a.n, a.base)
    from archive import figures   # what `nianbao serve` does before publishing
    t = time.time()
    print(("rebuilt" if figures.refresh(path) else "up-to-date") +
          f" report_figures ({time.time() - t:.0f}s)")
    meta = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    queries = meta["databases"]["archive"]["queries"]
    missing = set(queries) - set(PARAMS)
    assert not missing, f"add parameters for {missing}"
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    n = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    cells = conn.execute("SELECT MAX(id) FROM cells").fetchone()[0]
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


if __name__ == "__main__":
    main()
