"""Synthetic 年报 documents and archives: realistic shapes (the official layouts of
pipelines/extract/canon.py, balanced table 三, narrative bodies with six sections) for tests and
benchmarks.

- `make_doc(agency, year, ...)` → one extract JSON (docs/report-format.md) whose tables
  balance unless told otherwise; `carried_over` lets a series of years chain correctly.
- `render_text(doc)` → a plain-text rendering (like the seeds) of a document.
- `build(path, n, seed)` → an archive at `path` with `n` reports (cells, checks, bodies, search
  indexes) written in bulk; importable by other benchmarks (Datasette canned queries).
- `amplify(path, n)` → copies every report of an archive under new agencies until it has `n`
  reports (the one way both archive benchmarks reach 100,000).

    python -m bench.synthetic /tmp/synth.db --n 2000
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import time
from pathlib import Path

from archive import search, versiondoc
from nianbao import canon

EXTRACTOR = "synthetic-1"

_PLACES = ["海宁", "桐乡", "嘉善", "平湖", "余杭", "临安", "建德", "淳安", "诸暨", "上虞", "慈溪",
           "余姚", "瑞安", "乐清", "永康", "义乌", "东阳", "兰溪", "江山", "龙泉", "温岭", "临海"]
_LEVELS = ["市", "县", "区"]
_DEPTS = ["人民政府", "人民政府办公室", "教育局", "公安局", "民政局", "财政局", "自然资源局",
          "生态环境局", "住房和城乡建设局", "交通运输局", "卫生健康委员会", "市场监督管理局"]
_SENTENCES = [
    "全年主动公开各类政府信息{n}条，发布政策解读{m}篇。",
    "严格落实《条例》规定，切实保障人民群众知情权，规范依申请受理、办理、答复各环节工作。",
    "本年度共收到政府信息公开申请{n}件，均在法定期限内答复。",
    "因政府信息公开工作被申请行政复议{m}件，提起行政诉讼{k}件。",
    "对涉及国家秘密、商业秘密和个人隐私的信息依法不予公开。",
    "持续推进重点领域信息公开，围绕共同富裕、民生实事做好政策发布。",
    "加强政府网站和政务新媒体建设，优化政府信息公开专栏。",
    "存在的主要问题是政策解读形式仍较单一，基层公开标准化建设有待加强。",
    "下一步将进一步完善依申请公开办理机制，提升答复规范化水平。",
    "本机关未收取信息处理费。",
]


def agency_name(i: int) -> str:
    place = _PLACES[i % len(_PLACES)] + _LEVELS[(i // len(_PLACES)) % len(_LEVELS)]
    dept = _DEPTS[(i // (len(_PLACES) * len(_LEVELS))) % len(_DEPTS)]
    suffix = "" if i < len(_PLACES) * len(_LEVELS) * len(_DEPTS) else \
        f"第{i // (len(_PLACES) * len(_LEVELS) * len(_DEPTS))}分局"
    return place + dept + suffix


def format_for(year: int) -> str:
    return canon.FORMAT_2019 if year <= 2020 else canon.FORMAT_2021


def _cell(tbl: str, row: str, col: str, value, ti: int, ri: int, ci: int) -> dict:
    if value is None:
        return {"table": tbl, "row": row, "col": col, "raw": "", "value": None,
                "semantic": canon.EMPTY, "locator": f"html:table[{ti}]/r{ri}/c{ci}"}
    sem = canon.ZERO if value == 0 else canon.NUMERIC
    return {"table": tbl, "row": row, "col": col, "raw": str(value), "value": value,
            "semantic": sem, "locator": f"html:table[{ti}]/r{ri}/c{ci}"}


def _t3(rng: random.Random, fmt: str, carried_over: dict | None, scale: int) -> dict:
    rows = canon.T3_ROWS_2021 if fmt == canon.FORMAT_2021 else canon.T3_ROWS_2019
    result_rows = [r for r in rows if r not in ("new_received", "carried_over", "total_processed",
                                               "carried_forward")]
    t: dict[str, dict[str, int]] = {r: {} for r in rows}
    for col in canon.T3_APPLICANT_COLS:
        big = col == "natural_person"
        for r in result_rows:
            hi = scale if big and r in ("granted", "partially_granted", "unable.not_held") else 1
            t[r][col] = rng.randint(0, hi) if rng.random() < 0.6 else 0
        processed = sum(t[r][col] for r in result_rows)
        forward = rng.randint(0, 3 if big else 1)
        over = (carried_over or {}).get(col)
        if over is None:
            over = rng.randint(0, 2 if big else 1)
        if over > processed + forward:
            forward = over - processed
        t["total_processed"][col] = processed
        t["carried_forward"][col] = forward
        t["carried_over"][col] = over
        t["new_received"][col] = processed + forward - over
    for r in rows:
        t[r]["total"] = sum(t[r][c] for c in canon.T3_APPLICANT_COLS)
    return t


def make_doc(agency: str, year: int, *, seed: int = 0, fmt: str | None = None,
             carried_over: dict | None = None, prev_in_force: dict | None = None,
             scale: int = 30, body: str | None = None, published: str | None = None) -> dict:
    """A balanced extract JSON for `agency`'s report of `year` (every check passes unless the
    caller breaks a cell)."""
    rng = random.Random(f"{seed}:{agency}:{year}")
    fmt = fmt or format_for(year)
    tables: dict[str, dict] = {}
    cells: list[dict] = []
    # table 二
    t2: dict[str, dict] = {}
    for row, cols in canon.T2_LAYOUT[fmt].items():
        t2[row] = {}
        for col in cols:
            if col == "in_force":
                continue
            if col in canon.T2_DECIMAL_COLS:
                t2[row][col] = round(rng.uniform(0, 500), 2)
            elif col in canon.T2_SIGNED_COLS:
                t2[row][col] = rng.randint(-5, 5)
            else:
                t2[row][col] = rng.randint(0, scale)
        if "in_force" in cols:
            base = (prev_in_force or {}).get(row)
            if base is None:
                base = rng.randint(10, 200)
            t2[row]["repealed_this_year"] = min(t2[row]["repealed_this_year"], base)
            t2[row]["in_force"] = base + t2[row]["issued_this_year"] - t2[row]["repealed_this_year"]
    tables["t2"] = t2
    tables["t3"] = _t3(rng, fmt, carried_over, scale)
    t4 = {}
    for r in canon.T4_ROWS:
        vals = {c: rng.randint(0, 3) for c in ("upheld", "corrected", "other", "pending")}
        vals["total"] = sum(vals.values())
        t4[r.key] = vals
    tables["t4"] = t4
    for ti, tbl in enumerate(canon.TABLES):
        for ri, (row, cols) in enumerate(tables[tbl].items()):
            for ci, (col, v) in enumerate(cols.items()):
                cells.append(_cell(tbl, row, col, v, ti, ri, ci))
    sections = [{"key": s.key, "title": s.label} for s in canon.SECTIONS]
    if body is None:
        parts = []
        for s in canon.SECTIONS:
            parts.append(s.label)
            for _ in range(rng.randint(2, 5)):
                parts.append(rng.choice(_SENTENCES).format(n=rng.randint(100, 9999),
                                                           m=rng.randint(0, 50),
                                                           k=rng.randint(0, 9)))
        body = "\n".join(parts)
    return {
        "title": f"{agency}{year}年度政府信息公开工作年度报告", "agency": agency,
        "report_year": year, "published": published or f"{year + 1}-01-{rng.randint(10, 28):02d}",
        "format": fmt, "tables": tables, "cells": cells, "doc_type": "html", "kind": "report",
        "body_text": body, "sections": sections, "metadata": {}, "links": [],
        "extractor_version": EXTRACTOR, "error": None,
    }


def set_cell(doc: dict, tbl: str, row: str, col: str, raw: str, value=None,
             semantic: str | None = None) -> dict:
    """Change one cell of a document in place (tables and cells stay consistent)."""
    if semantic is None:
        semantic = canon.EMPTY if raw == "" else (canon.ZERO if value == 0 else canon.NUMERIC)
    for c in doc["cells"]:
        if (c["table"], c["row"], c["col"]) == (tbl, row, col):
            c.update(raw=raw, value=value, semantic=semantic)
            break
    else:
        doc["cells"].append({"table": tbl, "row": row, "col": col, "raw": raw, "value": value,
                             "semantic": semantic, "locator": None})
    doc["tables"].setdefault(tbl, {}).setdefault(row, {})[col] = value
    return doc


def render_text(doc: dict) -> str:
    """Plain-text rendering of a document: title, date, body, then the tables as rows of cells."""
    lines = [doc["title"], f"发布日期：{doc['published']}", doc.get("body_text") or ""]
    for tbl in canon.TABLES:
        lines.append(canon.TABLE_TITLES[tbl])
        for row, cols in doc["tables"].get(tbl, {}).items():
            lines.append(canon.row_label(tbl, row) + "\t" + "\t".join(
                "" if v is None else str(v) for v in cols.values()))
    return "\n".join(lines)


# ---------------------------------------------------------------- bulk archive
def build(path: str | Path, n: int = 100_000, seed: int = 0, years: tuple[int, ...] = (
        2019, 2020, 2021, 2022, 2023), with_checks: bool = True, progress: bool = False) -> dict:
    """Write a synthetic archive of `n` reports at `path` (replacing it) and return counts.

    Agencies report over consecutive years so cross-year checks have neighbours. Rows go in with
    executemany, not through the per-item writer, so large archives build in minutes; checks are
    computed with the real within-report engine (archive.checks.tables).
    """
    from archive import checks as engine
    from archive.agency import agency_key
    from archive.checks import tables as table_checks
    from archive.schema import open_db

    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_db(path)
    conn = db.conn
    conn.execute("PRAGMA synchronous=OFF")
    rng = random.Random(seed)
    started = time.time()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO sources (id, name, url) VALUES ('synthetic', '合成来源', "
                 "'http://synthetic.invalid/')")
    conn.execute("INSERT INTO crawl_runs (id, started_at, status, version) VALUES "
                 "(1, '2024-01-01T00:00:00Z', 'finished', 'synthetic')")
    counts = {"reports": 0, "cells": 0, "checks": 0}
    # Bodies come from a pool; titles, agencies and every table are still distinct per report.
    # The search index follows `reports` by its triggers (archive/search.py).
    pool = [make_doc(agency_name(k), 2019 + k % 5, seed=seed + k)["body_text"] for k in range(400)]
    rid = 0
    carry: dict[int, dict] = {}
    inforce: dict[int, dict] = {}
    batch_cells, batch_checks = [], []
    for i in range(n):
        a, y = divmod(i, len(years))
        year = years[y]
        agency = agency_name(a)
        body_no = rng.randrange(len(pool))
        doc = make_doc(agency, year, seed=seed, carried_over=carry.get(a) if y else None,
                       prev_in_force=inforce.get(a) if y else None, body=pool[body_no])
        if rng.random() < 0.05:  # a few broken reports, as in real life
            set_cell(doc, "t3", "new_received", "total", str(rng.randint(1, 99)), 1)
        carry[a] = dict(doc["tables"]["t3"]["carried_forward"])
        inforce[a] = {r: v.get("in_force") for r, v in doc["tables"]["t2"].items() if "in_force" in v}
        rid += 1
        url = f"http://synthetic.invalid/{a}/{year}.html"
        sha = hashlib.sha256(url.encode()).hexdigest()
        seen = f"{year + 1}-01-30T08:00:00Z"
        conn.execute(
            "INSERT INTO captures (id, run_id, source_id, url, final_url, status, content_type, "
            "sha256, size, fetched_at, outcome, role) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [rid, 1, "synthetic", url, url, 200, "text/html", sha, 30000, seen, "ok", "detail"])
        conn.execute(
            "INSERT INTO reports (id, source_id, url, title, agency, agency_key, report_year, "
            "published, first_seen, last_seen, format, kind, current_version_id, body_text) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [rid, "synthetic", url, doc["title"], agency, agency_key(agency), year,
             doc["published"], seen, seen, doc["format"], "report", rid, doc["body_text"]])
        conn.execute("INSERT INTO report_urls VALUES (?,?,?,?)", [url, rid, seen, seen])
        document = {k: v for k, v in doc.items() if k not in ("cells", "tables")}
        conn.execute(
            "INSERT INTO report_versions (id, report_id, capture_id, sha256, seen_at, "
            "extractor_version, is_current, doc_type, format, title, document, part, content_sha) "
            "VALUES (?,?,?,?,?,?,1,?,?,?,?, 'page', ?)",
            [rid, rid, rid, sha, seen, EXTRACTOR, "html", doc["format"], doc["title"],
             versiondoc.pack(document), sha])
        batch_cells.extend((rid, rid, c["table"], c["row"], c["col"], c["value"], c["raw"],
                            c["semantic"], c["locator"], rid) for c in doc["cells"])
        if with_checks:   # stored as the checks engine stores them (write_results' rows)
            present = engine.present_cells(doc["cells"])
            for r in table_checks.run(doc):
                row = engine.stored_row(rid, rid, r, present)
                batch_checks.append((rid, rid, row["check_id"], row["check_version"], row["scope"],
                                     row["status"], row["expression"], row["expected"], row["actual"],
                                     row["delta"], row["detail"], row["cells"], row["if_blanks_zero"]))
        if len(batch_cells) > 50_000 or i == n - 1:
            conn.executemany("INSERT INTO cells (report_id, version_id, tbl, row_key, col_key, "
                             "value, raw, semantic, locator, capture_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             batch_cells)
            conn.executemany("INSERT INTO checks (report_id, version_id, check_id, check_version, "
                             "scope, status, expression, expected, actual, delta, detail, cells, "
                             "if_blanks_zero) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_checks)
            counts["cells"] += len(batch_cells)
            counts["checks"] += len(batch_checks)
            batch_cells, batch_checks = [], []
            if progress:
                print(f"  {i + 1}/{n} reports, {time.time() - started:.0f}s", flush=True)
    counts["reports"] = rid
    versiondoc.lend(conn)   # stored as the writer stores them: the body once
    conn.execute("COMMIT")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("ANALYZE")
    db.conn.close()
    counts["seconds"] = round(time.time() - started, 1)
    return counts


# ---------------------------------------------------------------- amplification
# Tables copied per report copy, with the columns that must change (everything else is copied
# as is, so columns added by later migrations follow). ?1 = copy number; :R, :C, :V, :A are the
# id offsets of reports, captures, versions and attachments for that copy.
_HOST = "replace({col}, '://', '://copy' || ?1 || '.')"   # a distinct host per copy
_AGENCY = "x.agency || '第' || ?1 || '组'"
_COPY_PLAN: list[tuple[str, str, dict[str, str]]] = [
    ("captures", "id", {"id": "x.id + :C", "url": _HOST.format(col="x.url"),
                        "final_url": _HOST.format(col="x.final_url")}),
    ("reports", "id", {"id": "x.id + :R", "url": _HOST.format(col="x.url"), "agency": _AGENCY,
                       "agency_key": "x.agency_key || '第' || ?1 || '组'",
                       "title": f"replace(x.title, x.agency, {_AGENCY})",
                       "edition_of": "x.edition_of + :R", "current_version_id": "x.current_version_id + :V"}),
    ("report_urls", "rowid", {"url": _HOST.format(col="x.url"), "report_id": "x.report_id + :R"}),
    ("attachments", "id", {"id": "x.id + :A", "report_id": "x.report_id + :R",
                           "url": _HOST.format(col="x.url"), "capture_id": "x.capture_id + :C"}),
    ("report_versions", "id", {"id": "x.id + :V", "report_id": "x.report_id + :R",
                               "capture_id": "x.capture_id + :C",
                               "attachment_id": "x.attachment_id + :A"}),
    ("cells", "id", {"id": None, "report_id": "x.report_id + :R", "version_id": "x.version_id + :V",
                     "capture_id": "x.capture_id + :C"}),
    # since migration 18 `cells` is a view: its rows live in cell_values (cell_rows and cell_cols are shared)
    ("cell_values", "version_id", {"version_id": "x.version_id + :V", "capture_id": "x.capture_id + :C"}),
    ("checks", "id", {"id": None, "report_id": "x.report_id + :R", "version_id": "x.version_id + :V"}),
    # since migration 19 `checks` is a view: its rows live in check_results (check_kinds is shared)
    ("check_results", "id", {"id": None, "report_id": "x.report_id + :R", "version_id": "x.version_id + :V"}),
    # X-COPY-OTHER's paragraph signatures, LSH rows and repetition rates (a copy's paragraphs are
    # its original's: they share buckets, as boilerplate does across real reports)
    ("paragraph_sigs", "report_id", {"report_id": "x.report_id + :R", "version_id": "x.version_id + :V"}),
    ("paragraph_bands", "report_id", {"report_id": "x.report_id + :R"}),
    ("copy_stats", "report_id", {"report_id": "x.report_id + :R", "version_id": "x.version_id + :V",
                                 "prev_report_id": "x.prev_report_id + :R"}),
]


def amplify(path: str | Path, n: int, progress: bool = False) -> dict:
    """Copy every report of the archive at `path` (with its captures, URLs, attachments,
    versions, cells and checks; the search index follows by its triggers) under new ids,
    hosts and agency names (…第k组) until it holds `n` reports; `n` must be a multiple of the
    reports it has.

    Building 100,000 reports one by one takes an hour; the copies give the row counts, index
    sizes and query plans of a 100,000-report archive in minutes. Indexes and the FTS
    triggers stay in place, so they grow row by row as in an archive filled by crawls (dropping
    and rebuilding them makes denser, smaller indexes and costs more CPU). ANALYZE runs at
    the end. Returns timings.
    """
    started = time.time()
    conn = sqlite3.connect(str(path), isolation_level=None)
    search.register(conn)   # the word index's triggers fill it as reports are copied
    base = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    if not base or n % base:
        raise ValueError(f"n={n} is not a multiple of the {base} reports in {path}")
    tables = [t for t in _COPY_PLAN if conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ? AND type = 'table'", [t[0]]).fetchone()]
    top = {t: conn.execute(f"SELECT COALESCE(MAX({key}), 0) FROM {t}").fetchone()[0]
           for t, key, _ in tables}
    offsets = {"R": top["reports"], "C": top["captures"], "V": top["report_versions"],
               "A": top.get("attachments", 0)}
    conn.execute("PRAGMA journal_mode=OFF")   # a benchmark file: rebuilt, never recovered
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("PRAGMA temp_store=MEMORY")
    statements = []
    for table, key, over in tables:
        cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
        if key == "rowid" and table != "report_urls":   # FTS table: rowid is its own column
            cols = ["rowid", *cols]
        # The base rows once in a temp table: INSERT INTO t SELECT … FROM t would materialise
        # its own input again on every copy.
        conn.execute(f"CREATE TEMP TABLE base_{table} AS SELECT {', '.join(cols)} FROM {table} "
                     f"ORDER BY {key}")
        cols = [c for c in cols if over.get(c, "") is not None]
        exprs = [over.get(c, f"x.{c}") for c in cols]
        sql = (f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
               f"FROM temp.base_{table} AS x")
        for k, v in offsets.items():
            sql = sql.replace(f":{k}", f"(?1 * {v})")
        statements.append(sql)
    copies = n // base
    for k in range(1, copies):
        conn.execute("BEGIN")
        for sql in statements:
            conn.execute(sql, [k])
        conn.execute("COMMIT")
        if progress and (k % 10 == 0 or k == copies - 1):
            print(f"  copied to {(k + 1) * base} reports, {time.time() - started:.0f}s", flush=True)
    timings = {"copy_s": round(time.time() - started, 1)}
    t = time.time()
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    timings["analyze_s"] = round(time.time() - t, 1)
    timings["reports"] = n
    return timings




def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(build(args.path, args.n, args.seed, progress=True))


if __name__ == "__main__":
    main()
