"""Schema creation and upgrades: from an empty file and from every earlier version."""
from __future__ import annotations

import json
import sqlite3

import pytest

from archive import schema, search
from archive.schema import MIGRATIONS, open_db

REQUIRED_TABLES = {"sources", "crawl_runs", "captures", "reports", "report_versions", "attachments",
                   "cell_rows", "cell_cols", "cell_values", "check_kinds", "check_results", "agency_aliases", "report_urls", "reports_seg",
                   "schema_version", "derive_queue"}
REQUIRED_VIEWS = {"cells", "checks", "t2_wide", "t3_wide", "t4_wide", "report_overview"}


def _as_of(m, n):
    """Run the code as it was at migration `n`: its migrations only; before 24 passing checks kept
    their details; before 23 cells were written
    through the `cells` view; before 20 every version document kept its own body (no lending,
    documents read from report_versions)."""
    from archive import checks, store, versiondoc
    m.setattr(schema, "MIGRATIONS", MIGRATIONS[:n])
    if n < 24:   # every passing check kept its details
        m.setattr(checks, "_strip_pass", lambda row: row)
    if n < 23:
        m.setattr(store, "write_cells", _write_cells_through_view)
    if n < 20:
        m.setattr(versiondoc, "lend", lambda conn, report_id=None: 0)
        m.setattr(versiondoc, "fetch", lambda conn, vid: versiondoc.load(conn.execute(
            "SELECT document FROM report_versions WHERE id = ?", [vid]).fetchone()[0]))


def _write_cells_through_view(conn, report_id, version_id, capture_id, cells):
    """How the code before migration 23 stored cells: through the `cells` view."""
    conn.executemany(
        "INSERT INTO cells (report_id, version_id, tbl, row_key, col_key, value, raw, semantic, "
        "locator, capture_id, source, confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [(report_id, version_id, c["table"], c["row"], c["col"], c.get("value"), c.get("raw"),
          c.get("semantic") or "TEXT", c.get("locator"), c.get("capture_id") or capture_id,
          c.get("source"), c.get("confidence")) for c in cells])


def names(conn, kind):
    return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", [kind])}


def test_empty_file_gets_every_table_view_and_pragma(tmp_path):
    db = open_db(tmp_path / "new.db")
    conn = db.conn
    assert REQUIRED_TABLES <= names(conn, "table")
    assert REQUIRED_VIEWS <= names(conn, "view")
    assert schema.current_version(conn) == len(MIGRATIONS)
    assert not {n for n in names(conn, "table") | names(conn, "trigger") if n.startswith("reports_fts")}
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):  # foreign keys are enforced
        conn.execute("INSERT INTO report_versions (report_id, capture_id, sha256, seen_at, "
                     "extractor_version) VALUES (999, 999, 'x', 'now', 'v')")
    # Opening again applies nothing twice.
    db.conn.close()
    conn = open_db(tmp_path / "new.db").conn
    assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == \
        list(range(1, len(MIGRATIONS) + 1))


def _insert_report(conn, rid, title, body):
    conn.execute("INSERT INTO reports (id, url, title, first_seen, last_seen, body_text) "
                 "VALUES (?, ?, ?, '2024-01-01', '2024-01-01', ?)", [rid, f"http://t/{rid}", title, body])
    if "reports_seg" in names(conn, "table"):  # what the writer of that version does
        search.write_segments(conn, rid, title, body)


@pytest.mark.parametrize("start", range(1, len(MIGRATIONS)))
def test_upgrade_from_every_earlier_version(tmp_path, monkeypatch, start):
    path = tmp_path / f"v{start}.db"
    with monkeypatch.context() as m:
        _as_of(m, start)
        old = open_db(path)
        assert schema.current_version(old.conn) == start
        _insert_report(old.conn, 1, "某市2023年度报告", "本年度收到行政复议申请2件，依法不予公开1件。")
        _insert_report(old.conn, 2, "某县2023年度报告", "本年度未发生相关情况。")
        old.conn.close()
    db = open_db(path)
    assert schema.current_version(db.conn) == len(MIGRATIONS)
    assert REQUIRED_TABLES <= names(db.conn, "table")
    # Rows written before the upgrade are searchable by both indexes after it.
    assert [r["id"] for r in search.search(db, "复议")] == [1]
    assert [r["id"] for r in search.search(db, "不予公开")] == [1]
    if start == 1:  # migration 2 records the URL every existing report was reached by
        assert db.conn.execute("SELECT report_id FROM report_urls ORDER BY 1").fetchall() == [(1,), (2,)]
    # Migration 7: archives written before it derived every item at once; nothing is queued.
    assert db.conn.execute("SELECT COUNT(*) FROM derive_queue").fetchone()[0] == 0


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, "CREATE TABLE broken_probe (x);\nSELECT nosuchfn();"])
    with pytest.raises(sqlite3.OperationalError):
        open_db(tmp_path / "b.db")
    conn = sqlite3.connect(tmp_path / "b.db")
    assert "broken_probe" not in names(conn, "table")
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_concurrent_first_opens_apply_each_migration_once(tmp_path):
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=open_db, args=(tmp_path / "race.db",)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    conn = sqlite3.connect(tmp_path / "race.db")
    assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == \
        list(range(1, len(MIGRATIONS) + 1))


def _old_ids_for_term(conn, term: str) -> set[int]:
    """archive.search._ids_for_term before migration 15: trigram for >= 3 characters, the bigram
    index (re-checked when it has letters) for two word characters, a scan otherwise."""
    import re
    phrase = '"' + term.replace('"', '""') + '"'
    scan = "SELECT id FROM reports WHERE instr(title, ?) > 0 OR instr(body_text, ?) > 0"
    if len(term) >= 3:
        return {r[0] for r in conn.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?", [phrase])}
    if not re.fullmatch(r"\w\w", term):
        return {r[0] for r in conn.execute(scan, [term, term])}
    cand = {r[0] for r in conn.execute("SELECT rowid FROM reports_seg WHERE reports_seg MATCH ?", [phrase])}
    if re.search(r"[^\u3400-\u9fff\uf900-\ufaff0-9]", term):
        cand &= {r[0] for r in conn.execute(scan, [term, term])}
    return cand


def test_migration_15_converts_an_archive_of_the_two_indexes(tmp_path, monkeypatch):
    """An archive written by the code of migration 14 (stored reports: the five real seeds and
    synthetic ones, the trigram index and the bigram index of that time) converts to the one
    index: nothing but the indexes changes, and search gives the same answers."""
    import re
    from pathlib import Path

    from archive_helpers import dump, store

    from archive.writer import Archive
    from bench.synthetic import make_doc
    from pipelines.extract.document import extract_document
    path = tmp_path / "v14.db"
    with monkeypatch.context() as m:
        _as_of(m, 14)
        m.setattr(search, "_PIECES", re.compile(r"(?=(\w\w))"))   # the pieces of that time
        arc = Archive(path)
        for i, seed in enumerate(sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))):
            store(arc, extract_document(seed.read_bytes()), f"http://seed.test/{i}.html", body=seed.read_bytes())
        for i, body in enumerate(["一、总体情况\n本年度收到行政复议申请2件，依法不予公开1件。",
                                  "一、总体情况\n平台接入OA系统；第1.2条（一）项，增长12.5%。加强行政，政复议。"]):
            store(arc, make_doc(f"某县第{i}局", 2022, body=body), f"http://t/{i}")
        conn = arc.db.conn
        assert schema.current_version(conn) == 14 and "reports_fts" in names(conn, "table")
        terms = ["复议", "公开", "行政复议", "不予公开", "政府信息公开", "2023年", "申请人", "第二十", "12件",
                 "OA", "OA系统", "（一）", "第1.2条", "12.5%", "复", "的", "%", "信访局长", "龘龘龘"]
        before = {t: _old_ids_for_term(conn, t) for t in terms}
        rows = dump(conn)
        arc.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:15])   # this migration alone
    conn = open_db(path).conn
    assert schema.current_version(conn) == 15
    assert not {n for n in names(conn, "table") | names(conn, "trigger") if n.startswith("reports_fts")}
    assert {n for n in names(conn, "trigger") if n.startswith("reports_seg")} == \
        {"reports_seg_ai", "reports_seg_ad", "reports_seg_au"}
    after = dump(conn)
    assert after.pop("schema_version")[:-1] == rows.pop("schema_version")
    assert after == rows   # every row of every other table kept
    assert before["行政复议"] and before["复议"] and before["复"] and before["OA系统"]
    for t in terms:
        assert search._ids_for_term(conn, t) == before[t], t
    # The index follows writes after the migration (its triggers call the new pieces).
    conn.execute("UPDATE reports SET body_text = '本年度无信访局长接待' WHERE id = (SELECT MIN(id) FROM reports)")
    assert search._ids_for_term(conn, "信访局长") == {conn.execute("SELECT MIN(id) FROM reports").fetchone()[0]}
    assert conn.execute("INSERT INTO reports_seg (reports_seg, rank) VALUES ('integrity-check', 0)")


def test_migration_16_drops_only_operands_it_can_give_back(tmp_path, monkeypatch):
    """An archive written by the code of migration 15 (every passing sum check with its operands as
    JSON) converts: those JSONs become NULL, every row is given back as it was by
    `fill_operands`, and the report page explains each check as before."""
    from pathlib import Path

    from archive_helpers import dump, store

    from archive import checks
    from archive.datasette.explain import explain
    from archive.writer import Archive
    from bench.synthetic import make_doc
    from pipelines.extract.document import extract_document
    path = tmp_path / "v15.db"
    with monkeypatch.context() as m:
        _as_of(m, 15)
        m.setattr(checks, "_by_definition", lambda r, present: False)   # that code kept every JSON
        arc = Archive(path)
        for i, seed in enumerate(sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))):
            store(arc, extract_document(seed.read_bytes()), f"http://seed.test/{i}.html", body=seed.read_bytes())
        for i in range(3):
            store(arc, make_doc(f"某县第{i}局", 2022), f"http://t/{i}")
        before = dump(arc.db.conn)
        arc.close()
    assert not any(r[12] is None for r in before["checks"])   # column 12: cells
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:16])   # this migration alone
    conn = open_db(path).conn
    assert schema.current_version(conn) == 16
    after = dump(conn)
    assert after.pop("schema_version")[:-1] == before.pop("schema_version")
    old_checks, new_checks = before.pop("checks"), after.pop("checks")
    assert after == before   # no other table touched
    cols = [d[1] for d in conn.execute("PRAGMA table_info(checks)")]
    dropped = 0
    for old, new in zip(old_checks, new_checks, strict=True):
        old, new = dict(zip(cols, old)), dict(zip(cols, new))
        if new["cells"] is None:
            dropped += 1
            assert old["status"] == "pass" and old["check_id"] in checks.OPERANDS_BY_DEFINITION
        present = checks.present_cells(
            {"tbl": t, "row_key": r, "col_key": c, "raw": raw} for t, r, c, raw in conn.execute(
                "SELECT tbl, row_key, col_key, raw FROM cells WHERE version_id = ?", [new["version_id"]]))
        filled = checks.fill_operands(dict(new), present)
        assert json.loads(filled["cells"]) == json.loads(old["cells"]), old
        assert explain(filled) == explain(old)
    assert dropped > 50   # the seeds and synthetic reports pass most of their sums


def test_migration_17_stores_sections_as_offsets_and_gives_them_back(tmp_path, monkeypatch):
    """Version documents written by the code of migration 16 (each section's text repeated) convert
    to offsets into the body: smaller, and `versiondoc.load` gives back every document as it was;
    a document that is not a JSON object is left alone. The report page still reads the text."""
    from pathlib import Path

    from archive_helpers import dump, store

    from archive import versiondoc
    from archive.writer import Archive
    from bench.synthetic import make_doc
    from pipelines.extract.document import extract_document
    path = tmp_path / "v16.db"
    with monkeypatch.context() as m:
        _as_of(m, 16)
        m.setattr(versiondoc, "pack", lambda doc: json.dumps(doc, ensure_ascii=False, default=str))
        arc = Archive(path)
        for i, seed in enumerate(sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))):
            store(arc, extract_document(seed.read_bytes()), f"http://seed.test/{i}.html", body=seed.read_bytes())
        store(arc, make_doc("某县第1局", 2022), "http://t/1")
        arc.db.conn.execute("UPDATE report_versions SET document = '[1, 2]' WHERE id = (SELECT MAX(id) FROM report_versions)")
        arc.db.conn.commit()
        before = dump(arc.db.conn)
        arc.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:17])   # this migration alone
    conn = open_db(path).conn
    assert schema.current_version(conn) == 17
    after = dump(conn)
    after.pop("schema_version"), before.pop("schema_version")
    old_v, new_v = before.pop("report_versions"), after.pop("report_versions")
    assert after == before   # no other table touched
    cols = [d[1] for d in conn.execute("PRAGMA table_info(report_versions)")]
    at = cols.index("document")
    offsets = 0
    for old, new in zip(old_v, new_v, strict=True):
        assert old[:at] + old[at + 1:] == new[:at] + new[at + 1:]
        if old[at] == "[1, 2]":
            assert new[at] == old[at]
            continue
        assert versiondoc.load(new[at]) == json.loads(old[at])
        assert len(new[at]) <= len(old[at])
        offsets += sum("at" in s for s in json.loads(new[at]).get("sections") or [])
    assert offsets >= 25   # the five seeds have their six sections (a few fewer at most)


def _v17_archive(path, monkeypatch, upto=17):
    """An archive written by the code of migration 17 (cells as a plain table; `upto` another
    migration): the five seeds, synthetic reports, and at 17 one cell read by OCR and one read
    from another capture than its version's."""
    from pathlib import Path

    from archive_helpers import store

    from archive.writer import Archive
    from bench.synthetic import make_doc
    from pipelines.extract.document import extract_document
    with monkeypatch.context() as m:
        _as_of(m, upto)
        arc = Archive(path)
        for i, seed in enumerate(sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))):
            store(arc, extract_document(seed.read_bytes()), f"http://seed.test/{i}.html", body=seed.read_bytes())
        for i in range(2):
            store(arc, make_doc(f"某县第{i}局", 2022), f"http://t/{i}")
        conn = arc.db.conn
        if upto == 17:
            conn.execute("UPDATE cells SET source = 'ocr', confidence = 0.93 WHERE id = 3")
            conn.execute("UPDATE cells SET capture_id = (SELECT MIN(id) FROM captures) WHERE id = "
                         "(SELECT MAX(id) FROM cells)")
            conn.commit()
        arc.close()


def _migrate_alone(path, monkeypatch, n, gone=(), added=()):
    """Apply migration `n` alone to the archive at `path` and return its connection; every
    table but `gone` (before) and `added` (after) is left exactly as it was."""
    from archive_helpers import dump
    conn = sqlite3.connect(path)
    before = dump(conn)
    conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:n])
    conn = open_db(path).conn
    assert schema.current_version(conn) == n
    after = dump(conn)
    assert after.pop("schema_version")[:-1] == before.pop("schema_version")
    for t in gone:
        before.pop(t)
    for t in added:
        after.pop(t)
    assert after == before   # no other table touched
    return conn


_CELL_COLS = ("report_id, version_id, tbl, row_key, col_key, value, raw, semantic, locator, capture_id, "
              "source, confidence")


def test_migration_18_codes_cells_and_gives_every_row_back(tmp_path, monkeypatch):
    """Cells written by the code of migration 17 move into `cell_rows`, `cell_cols` and `cell_values`: the
    `cells` view gives back every row as it was (ids aside), the wide views the same tables,
    and no other table changes; the compact table is smaller than the one it replaces."""
    path = tmp_path / "v17.db"
    _v17_archive(path, monkeypatch)
    conn = sqlite3.connect(path)
    q = f"SELECT {_CELL_COLS} FROM cells ORDER BY version_id, tbl, row_key, col_key"
    cells_before = conn.execute(q).fetchall()
    wide_before = {v: conn.execute(f"SELECT * FROM {v} ORDER BY 1, 2, row_key").fetchall()
                   for v in ("t2_wide", "t3_wide", "t4_wide")}
    bytes_before = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '%cells%'").fetchone()[0]
    conn.close()
    conn = _migrate_alone(path, monkeypatch, 18, gone=["cells"], added=["cell_rows", "cell_cols", "cell_values"])
    assert "cells" in names(conn, "view") and "cells" not in names(conn, "table")
    got = conn.execute(q).fetchall()
    assert got == cells_before and len(got) > 500
    assert any(r[10] == "ocr" and r[11] == 0.93 for r in got)
    for v, rows in wide_before.items():
        assert conn.execute(f"SELECT * FROM {v} ORDER BY 1, 2, row_key").fetchall() == rows
        # Grouped in key order: a first page streams, one report is looked up by its key.
        plan = " | ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {v} LIMIT 101"))
        assert "TEMP B-TREE" not in plan, plan
        plan = " | ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {v} WHERE report_id = 3"))
        assert "SEARCH r USING INTEGER PRIMARY KEY" in plan and "SCAN r" not in plan, plan
    # Only a cell read from another capture than its version's keeps its capture id.
    assert conn.execute("SELECT COUNT(capture_id) FROM cell_values").fetchone()[0] == 1
    bytes_after = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'cell%' "
                               "OR name LIKE 'idx_cell_values%'").fetchone()[0]
    assert bytes_after < bytes_before / 2


def test_migration_18_refuses_what_it_could_not_keep(tmp_path, monkeypatch):
    """Two cells of one version under one key cannot both live in `cell_values`: the migration
    stops with that reason, and the archive is left at 17 with its cells as they were."""
    path = tmp_path / "v17.db"
    _v17_archive(path, monkeypatch)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO cells (report_id, version_id, tbl, row_key, col_key, value, raw, semantic) "
                 "SELECT report_id, version_id, tbl, row_key, col_key, 7, '7', 'NUMERIC' FROM cells WHERE id = 1")
    conn.commit()
    n = conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:18])
    with pytest.raises(sqlite3.IntegrityError, match="two cells of version"):
        open_db(path)
    conn = sqlite3.connect(path)
    assert schema.current_version(conn) == 17
    assert conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0] == n


def test_cells_view_takes_inserts_and_refuses_bad_ones(tmp_path):
    """Writing through the `cells` view: a new key is numbered once, the report is the version's
    and the capture the version's unless another is named; a wrong table, semantic or report is
    refused as the old table's CHECK constraints refused it."""
    from archive_helpers import store

    from archive.writer import Archive
    from bench.synthetic import make_doc
    arc = Archive(tmp_path / "a.db")
    store(arc, make_doc("某县第1局", 2022), "http://t/1")
    conn = arc.db.conn
    rid, vid, cap = conn.execute("SELECT report_id, id, capture_id FROM report_versions").fetchone()
    keys = conn.execute("SELECT COUNT(*) FROM cell_rows").fetchone()[0]
    ins = ("INSERT INTO cells (report_id, version_id, tbl, row_key, col_key, value, raw, semantic, capture_id) "
           "VALUES (?, ?, ?, ?, ?, 3, '3', ?, ?)")
    conn.execute(ins, [rid, vid, "t3", "extra:其他", "total", "NUMERIC", None])
    assert conn.execute("SELECT COUNT(*) FROM cell_rows").fetchone()[0] == keys + 1   # a new row, an old column
    assert conn.execute("SELECT report_id, capture_id, semantic, value FROM cells WHERE row_key = 'extra:其他'"
                        ).fetchone() == (rid, cap, "NUMERIC", 3.0)
    for tbl, sem, report, why in (("t9", "NUMERIC", rid, "tbl must be"), ("t3", "NUMBER", rid, "semantic must be"),
                                  ("t3", "NUMERIC", rid + 1, "not the version's report")):
        with pytest.raises(sqlite3.IntegrityError, match=why):
            conn.execute(ins, [report, vid, tbl, "extra:别的", "total", sem, None])
    with pytest.raises(sqlite3.IntegrityError):   # one cell per key and version, as the extractor makes them
        conn.execute(ins, [rid, vid, "t3", "extra:其他", "total", "NUMERIC", None])
    arc.close()


def test_migration_19_codes_checks_and_gives_every_row_back(tmp_path, monkeypatch):
    """Checks written by the code of migration 18 move into `check_kinds` + `check_results`:
    the `checks` view gives back every row with its id, the overview the same failing counts,
    no other table changes, and the checks take fewer bytes."""
    path = tmp_path / "v18.db"
    _v17_archive(path, monkeypatch, upto=18)
    conn = sqlite3.connect(path)
    # A row a user or an older checker wrote without scope, expression or version.
    conn.execute("INSERT INTO checks (report_id, version_id, check_id, status) "
                 "SELECT report_id, version_id, 'U-OLD', 'warn' FROM checks WHERE id = 1")
    conn.commit()
    q = "SELECT * FROM checks ORDER BY id"
    checks_before = conn.execute(q).fetchall()
    overview_before = conn.execute("SELECT * FROM report_overview ORDER BY id").fetchall()
    bytes_before = conn.execute("SELECT SUM(payload) FROM dbstat WHERE name LIKE '%checks%'").fetchone()[0]
    conn.close()
    conn = _migrate_alone(path, monkeypatch, 19, gone=["checks"], added=["check_kinds", "check_results"])
    assert "checks" in names(conn, "view") and "checks" not in names(conn, "table")
    got = conn.execute(q).fetchall()
    assert got == checks_before and len(got) > 300
    assert {r[6] for r in got} >= {"pass", "fail", "not_assessable"}
    assert [r[3:8] for r in got if r[3] == 'U-OLD'] == [('U-OLD', None, None, 'warn', None)]   # NULLs stay NULL
    assert conn.execute("SELECT * FROM report_overview ORDER BY id").fetchall() == overview_before
    kinds = conn.execute("SELECT COUNT(*) FROM check_kinds").fetchone()[0]
    assert kinds < len(got) / 3
    bytes_after = conn.execute("SELECT SUM(payload) FROM dbstat WHERE name LIKE 'check_%' "
                               "OR name LIKE 'idx_check_results%' OR name LIKE '%check_kinds%'").fetchone()[0]
    assert bytes_after < bytes_before * 0.8   # seven reports; ~0.5 on the demo's 345


def test_checks_view_takes_inserts_updates_and_deletes(tmp_path):
    """Writing through the `checks` view: a new kind is named once (NULL scope and expression
    included), is_current defaults to 1, an update changes one row, a bad status is refused as
    the old table's CHECK refused it."""
    from archive_helpers import store

    from archive.writer import Archive
    from bench.synthetic import make_doc
    arc = Archive(tmp_path / "a.db")
    store(arc, make_doc("某县第1局", 2022), "http://t/1")
    conn = arc.db.conn
    rid, vid = conn.execute("SELECT report_id, id FROM report_versions").fetchone()
    kinds = conn.execute("SELECT COUNT(*) FROM check_kinds").fetchone()[0]
    ins = "INSERT INTO checks (report_id, version_id, check_id, scope, status, detail) VALUES (?, ?, ?, ?, ?, ?)"
    for detail in ("一", "二"):
        conn.execute(ins, [rid, vid, "U-TEST", None, "warn", detail])
    assert conn.execute("SELECT COUNT(*) FROM check_kinds").fetchone()[0] == kinds + 1
    rows = conn.execute("SELECT id, scope, expression, is_current, detail FROM checks WHERE check_id = 'U-TEST' "
                        "ORDER BY id").fetchall()
    assert [r[1:] for r in rows] == [(None, None, 1, "一"), (None, None, 1, "二")]
    conn.execute("UPDATE checks SET is_current = 0 WHERE id = ?", [rows[0][0]])
    assert conn.execute("SELECT is_current FROM checks WHERE check_id = 'U-TEST' ORDER BY id").fetchall() == [(0,), (1,)]
    conn.execute("UPDATE checks SET scope = 't3/total' WHERE id = ?", [rows[1][0]])
    assert conn.execute("SELECT COUNT(*) FROM check_kinds").fetchone()[0] == kinds + 2
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(ins, [rid, vid, "U-TEST", None, "passed", ""])
    conn.execute("DELETE FROM checks WHERE check_id = 'U-TEST'")
    assert conn.execute("SELECT COUNT(*) FROM check_results r JOIN check_kinds k ON k.id = r.kind_id "
                        "WHERE k.check_id = 'U-TEST'").fetchone()[0] == 0
    arc.close()


def test_migration_20_stores_each_body_once_and_gives_every_document_back(tmp_path, monkeypatch):
    """Documents written by the code of migration 19 keep their body; after migration 20 the
    versions whose body is their report's lend it: `version_documents` gives back every document
    as it was, no other table changes, and report_versions takes fewer bytes."""
    from archive import versiondoc
    path = tmp_path / "v19.db"
    _v17_archive(path, monkeypatch, upto=19)
    conn = sqlite3.connect(path)
    docs_before = {i: versiondoc.load(d) for i, d in conn.execute("SELECT id, document FROM report_versions")}
    bytes_before = conn.execute("SELECT SUM(payload) FROM dbstat WHERE name = 'report_versions'").fetchone()[0]
    conn.close()
    conn = _migrate_alone(path, monkeypatch, 20, gone=["report_versions"], added=["report_versions"])
    lent = conn.execute(f"SELECT COUNT(*) FROM report_versions WHERE document LIKE '%\"{versiondoc.LENT}\"%'"
                        ).fetchone()[0]
    assert lent == len(docs_before) > 5
    assert {i: versiondoc.load(d) for i, d in conn.execute("SELECT id, document FROM version_documents")} \
        == docs_before
    bytes_after = conn.execute("SELECT SUM(payload) FROM dbstat WHERE name = 'report_versions'").fetchone()[0]
    assert bytes_after < bytes_before * 0.6


def test_migration_23_stores_locators_as_forms_and_gives_every_cell_back(tmp_path, monkeypatch):
    """Locators written by the code of migration 22 become a form id and numbers: the `cells`
    view gives back every row as it was (odd locators too), the wide views the same tables, no
    other table changes, cell_values takes fewer bytes; after it, the writer's cells and a cell
    inserted into the view read back as they were given."""
    path = tmp_path / "v22.db"
    _v17_archive(path, monkeypatch, upto=22)
    conn = sqlite3.connect(path)
    odd = ["ocr:p2/table[1]/r03/c4", "x%d/1/2/3/4/5/6", "html:line 12345678901234567890", None, "100%", ""]
    vid = conn.execute("SELECT MAX(version_id) FROM cell_values").fetchone()[0]
    for k, loc in enumerate(odd):
        conn.execute("INSERT INTO cells (version_id, tbl, row_key, col_key, value, raw, semantic, locator) "
                     "VALUES (?, 't4', ?, 'total', 1, '1', 'NUMERIC', ?)", [vid, f"odd{k}", loc])
    conn.commit()
    q = f"SELECT {_CELL_COLS} FROM cells ORDER BY version_id, row_id, col_id"
    cells_before = conn.execute(q).fetchall()
    wide_before = {v: conn.execute(f"SELECT * FROM {v} ORDER BY 1, 2, row_key").fetchall()
                   for v in ("t2_wide", "t3_wide", "t4_wide")}
    size = "SELECT SUM(pgsize) FROM dbstat WHERE name = 'cell_values'"
    bytes_before = conn.execute(size).fetchone()[0]
    conn.close()
    conn = _migrate_alone(path, monkeypatch, 23, gone=["cell_values"], added=["cell_values", "cell_locators"])
    got = conn.execute(q).fetchall()
    assert got == cells_before and len(got) > 500
    assert {r[8] for r in got} >= set(odd)
    for v, rows in wide_before.items():
        assert conn.execute(f"SELECT * FROM {v} ORDER BY 1, 2, row_key").fetchall() == rows
    forms = conn.execute("SELECT COUNT(*) FROM cell_locators").fetchone()[0]
    assert forms < 20 < len({r[8] for r in got})
    assert conn.execute(size).fetchone()[0] < bytes_before * 0.8
    conn.close()
    # Today's writer and an INSERT into the view store the same locators.
    from archive_helpers import store

    from archive.writer import Archive
    from bench.synthetic import make_doc
    arc = Archive(path)
    doc = make_doc("某县第9局", 2023)
    doc["cells"][0]["locator"], doc["cells"][1]["locator"] = "pdf:p3/table[2]/r07/c1%", None
    rid = store(arc, doc, "http://t/9")[0]
    conn = arc.db.conn
    vid = conn.execute("SELECT current_version_id FROM reports WHERE id = ?", [rid]).fetchone()[0]
    got = conn.execute("SELECT tbl, row_key, col_key, value, raw, semantic, locator FROM cells "
                       "WHERE version_id = ? ORDER BY row_id, col_id", [vid]).fetchall()
    given = sorted(((c["table"], c["row"], c["col"], c.get("value"), c.get("raw"), c["semantic"],
                     c.get("locator")) for c in doc["cells"]), key=lambda r: (r[0], r[1], r[2]))
    assert sorted(got, key=lambda r: (r[0], r[1], r[2])) == given
    arc.close()


def test_migration_22_keys_paragraph_bands_by_bucket_without_an_index(tmp_path, monkeypatch):
    """The LSH rows keyed by (band, bucket, report, paragraph): the same rows, the bucket lookup
    of X-COPY-OTHER by the table's own key, no index left, fewer bytes; and re-indexing a report
    after the migration replaces its rows (found by their keys) and nothing else."""
    from archive.checks import copies
    path = tmp_path / "v21.db"
    _v17_archive(path, monkeypatch, upto=21)
    conn = sqlite3.connect(path)
    q = "SELECT band, bucket, report_id, para_no FROM paragraph_bands ORDER BY 3, 4, 1"
    rows = conn.execute(q).fetchall()
    assert len(rows) > 50
    size = "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE '%paragraph_bands%'"
    bytes_before = conn.execute(size).fetchone()[0]
    conn.close()
    conn = _migrate_alone(path, monkeypatch, 22, gone=["paragraph_bands"], added=["paragraph_bands"])
    assert conn.execute(q).fetchall() == rows
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'paragraph_bands' "
                        "AND sql IS NOT NULL").fetchall() == []
    assert conn.execute(size).fetchone()[0] < bytes_before * 0.65
    band, bucket, rid, _ = rows[0]
    plan = " ".join(r[3] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT report_id, para_no FROM paragraph_bands WHERE band = ? AND bucket = ?",
        [band, bucket]))
    assert "PRIMARY KEY" in plan and "SCAN" not in plan
    conn.execute("BEGIN")
    copies._drop_rows(conn, rid)
    conn.execute("COMMIT")
    assert conn.execute(q).fetchall() == [r for r in rows if r[2] != rid]


def test_migration_21_keeps_every_paragraph_band_and_the_copy_lookup(tmp_path, monkeypatch):
    """The LSH rows move into a WITHOUT ROWID table keyed by (report, paragraph, band): the same
    rows, the bucket lookup of X-COPY-OTHER by index, deleting a report's rows by key."""
    path = tmp_path / "v20.db"
    _v17_archive(path, monkeypatch, upto=20)
    conn = sqlite3.connect(path)
    q = "SELECT band, bucket, report_id, para_no FROM paragraph_bands ORDER BY 3, 4, 1"
    rows = conn.execute(q).fetchall()
    assert len(rows) > 50
    conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS[:21])
    conn = open_db(path).conn
    assert conn.execute(q).fetchall() == rows
    band, bucket, rid, _ = rows[0]
    plan = " ".join(r[3] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT report_id, para_no FROM paragraph_bands WHERE band = ? AND bucket = ?",
        [band, bucket]))
    assert "idx_paragraph_bands_bucket" in plan
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN DELETE FROM paragraph_bands WHERE report_id = ?", [rid]))
    assert "PRIMARY KEY" in plan


def test_migration_24_drops_only_pass_details_it_can_give_back(tmp_path, monkeypatch):
    """An archive written by the code of migration 23 (every passing check with its details)
    converts: the current passes of the within-report checks keep only kind and status where
    `fill_passes` recomputes exactly what was stored, every row reads back as it was, the
    report page explains each check as before, and no other table changes."""
    from archive import checks
    from archive.datasette.explain import explain
    path = tmp_path / "v23.db"
    _v17_archive(path, monkeypatch, upto=23)
    conn = sqlite3.connect(path)
    cols = [d[1] for d in conn.execute("PRAGMA table_info(checks)")]
    before = [dict(zip(cols, r)) for r in conn.execute("SELECT * FROM checks ORDER BY id")]
    conn.close()
    assert not any(r["status"] == "pass" and r["expected"] is None and r["detail"] is None
                   and r["check_id"] in checks.TABLE_IDS for r in before)
    conn = _migrate_alone(path, monkeypatch, 24, gone=("check_results",), added=("check_results",))
    after = [dict(zip(cols, r)) for r in conn.execute("SELECT * FROM checks ORDER BY id")]
    assert [r["id"] for r in after] == [r["id"] for r in before]
    stripped = 0
    for vid in sorted({r["version_id"] for r in after}):
        rows = [r for r in after if r["version_id"] == vid and r["is_current"] == 1]
        stripped += sum(all(r[c] is None for c in checks.PASS_DETAILS) and r["status"] == "pass"
                        for r in rows)
        checks.fill_passes(conn, vid, rows)
    old = {r["id"]: r for r in before}
    for r in after:
        assert r == old[r["id"]], r
        assert explain(r) == explain(old[r["id"]])
    assert stripped > 100 and stripped == sum(r["status"] == "pass" and r["check_id"] in checks.TABLE_IDS
                                              for r in before)
    assert conn.execute("SELECT COUNT(*) FROM checks WHERE status != 'pass' AND detail IS NULL "
                        "AND expected IS NULL AND actual IS NULL").fetchone()[0] == \
        sum(r["status"] != "pass" and r["detail"] is None and r["expected"] is None and r["actual"] is None
            for r in before)
