"""Search on a synthetic archive: the one bigram index (archive/search.py, migration 15) against
the two indexes it replaced, in the same file and the same run: index bytes per report, and the
latency of archive.search.search and of the search page's index lookup for two-character words
(复议, 公开), longer terms, one character and two terms.

    python bench/bench_search.py            # 100,000 reports (build ~5 min), kept in bench/out/
    python bench/bench_search.py --quick    # 5,000 reports
    python bench/bench_search.py --db bench/out/search-100000.db   # an existing archive

Baseline: the indexes as they were before migration 15, built here over the same reports
(`base_trigram`: FTS5 trigram, external content on reports; `base_bigram`: the contentless index
of two-character pieces without the one-character piece that ends a run) and queried as before:
three characters or more in the trigram index, two in the bigram index, one by a scan.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TERMS = ["复议", "公开", "诉讼", "行政复议", "不予公开", "政府信息公开", "复议 不予公开", "复"]
_OLD_PIECES = re.compile(r"(?=(\w\w))")


def _old_bigrams(text: str | None) -> str:
    return " ".join(_OLD_PIECES.findall(text)) if text else ""


def build_baseline(conn: sqlite3.Connection) -> float:
    """The two indexes of the same reports as migration 14 left them (without their triggers)."""
    conn.create_function("base_bigrams", 1, _old_bigrams, deterministic=True)
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute("DROP TABLE IF EXISTS base_trigram")
    conn.execute("DROP TABLE IF EXISTS base_bigram")
    conn.execute("CREATE VIRTUAL TABLE base_trigram USING fts5(title, body_text, content='reports', "
                 "content_rowid='id', tokenize='trigram')")
    conn.execute("INSERT INTO base_trigram (base_trigram) VALUES ('rebuild')")
    conn.execute("CREATE VIRTUAL TABLE base_bigram USING fts5(title, body_text, content='', "
                 "tokenize='unicode61 remove_diacritics 0')")
    conn.execute("INSERT INTO base_bigram (rowid, title, body_text) SELECT id, base_bigrams(title), "
                 "base_bigrams(body_text) FROM reports")
    conn.execute("COMMIT")
    return time.perf_counter() - t


def base_ids_for_term(conn: sqlite3.Connection, term: str) -> set[int]:
    """archive.search._ids_for_term before migration 15 (CJK terms: no re-check)."""
    phrase = '"' + term.replace('"', '""') + '"'
    if len(term) >= 3:
        return {r[0] for r in conn.execute("SELECT rowid FROM base_trigram WHERE base_trigram MATCH ?", [phrase])}
    if len(term) == 2:
        return {r[0] for r in conn.execute("SELECT rowid FROM base_bigram WHERE base_bigram MATCH ?", [phrase])}
    return {r[0] for r in conn.execute(
        "SELECT id FROM reports WHERE instr(title, ?) > 0 OR instr(body_text, ?) > 0", [term, term])}


def base_search(conn: sqlite3.Connection, query: str) -> list[dict]:
    """archive.search.search with the term lookup of before: the same result rows."""
    from archive import search
    ours = search._ids_for_term
    search._ids_for_term = base_ids_for_term
    try:
        return search.search(conn, query)
    finally:
        search._ids_for_term = ours


def index_bytes(conn: sqlite3.Connection, name: str) -> int:
    """Pages of an FTS5 table and its shadow tables (dbstat)."""
    return conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ? OR substr(name, 1, ?) = ?",
                        [name, len(name) + 1, name + "_"]).fetchone()[0]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="reports in the synthetic archive")
    ap.add_argument("--quick", action="store_true", help="5,000 reports")
    ap.add_argument("--db", type=Path, help="an archive to use instead of building one (gets the baseline tables)")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    n = 5000 if a.quick else a.n
    path = a.db
    if path is None:
        path = ROOT / "bench" / "out" / f"search-{n}.db"
        if not path.exists():
            from bench.synthetic import amplify, build
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.stem + ".building.db")
            t = time.time()
            build(tmp, min(2500, n), 0)
            if n > 2500:
                amplify(tmp, n)
            tmp.rename(path)
            print(f"built {path} in {time.time() - t:.0f}s", flush=True)
    from archive import search
    from archive.schema import open_db
    t = time.time()
    conn = open_db(path).conn   # migrates an older archive: the trigram index goes, the bigram one is rebuilt
    print(f"opened (and migrated) in {time.time() - t:.0f}s", flush=True)
    reports = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'base_bigram'").fetchone():
        print(f"baseline indexes built in {build_baseline(conn):.0f}s", flush=True)
    result: dict = {"bench": "search", "reports": reports, "terms": {}}
    worst_ratio = 0.0
    for q in TERMS:
        ours = search.search(conn, q)
        base = base_search(conn, q)
        assert [r["id"] for r in ours] == [r["id"] for r in base], q   # the same answers
        ms = median_ms(lambda: search.search(conn, q), a.repeat)
        ms_base = median_ms(lambda: base_search(conn, q), a.repeat)
        result["terms"][q] = {"hits": len(ours), "ms": round(ms, 1), "ms_before": round(ms_base, 1)}
        worst_ratio = max(worst_ratio, ms / ms_base)
        print(f"{q:12} {len(ours):7d} hits {ms:8.1f} ms   before (two indexes): {ms_base:8.1f} ms", flush=True)
    # The index lookup alone, as the search page and the canned query use it: a page of the 20
    # best by bm25, and the count; the baseline is the index the term went to before.
    result["lookup"] = {}
    for q in ("复议", "行政复议", "政府信息公开", "复"):
        ours = ("reports_seg", search.match_expr(q))
        base = ("base_trigram", '"' + q + '"') if len(q) >= 3 else ("base_bigram", '"' + q + '"')
        row = {}
        for label, (table, arg) in (("", ours), ("_before", base)):
            if len(q) == 1 and label:   # one character was a scan of titles, not an index lookup
                continue
            page = (f"SELECT rowid FROM {table} WHERE {table} MATCH ? "
                    f"ORDER BY bm25({table}, 10.0, 1.0) LIMIT 20")
            count = f"SELECT COUNT(*) FROM {table} WHERE {table} MATCH ?"
            row["page_ms" + label] = median_ms(lambda: conn.execute(page, [arg]).fetchall(), a.repeat)
            row["count_ms" + label] = median_ms(lambda: conn.execute(count, [arg]).fetchall(), a.repeat)
        result["lookup"][q] = {k: round(v, 1) for k, v in row.items()}
        print(f"{q}: the 20 best {row['page_ms']:.1f} ms (before {row.get('page_ms_before', float('nan')):.1f} ms); "
              f"count {row['count_ms']:.1f} ms (before {row.get('count_ms_before', float('nan')):.1f} ms)", flush=True)
    seg, tri, old = (index_bytes(conn, x) for x in ("reports_seg", "base_trigram", "base_bigram"))
    result.update({"index_bytes_per_report": round(seg / reports),
                   "before_trigram_bytes_per_report": round(tri / reports),
                   "before_bigram_bytes_per_report": round(old / reports),
                   "ratio": round(seg / (tri + old), 3),
                   "ratio_is": "one index bytes / bytes of the two indexes before",
                   "worst_latency_ratio": round(worst_ratio, 2)})
    print(f"search index: {seg / reports:.0f} B/report; before: trigram {tri / reports:.0f} + bigram "
          f"{old / reports:.0f} = {(tri + old) / reports:.0f} B/report")
    conn.close()
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
