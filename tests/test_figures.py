"""report_figures: one counted row per agency-year (archive/editions.py), the deadline rule shared
with P-DEADLINE, region-qualified agency names, and the canned queries that read them."""
from __future__ import annotations

import copy
import re
import sqlite3
from pathlib import Path

import yaml
from archive_helpers import store, store_attachment

from archive import figures
from archive.datasette.sqlfunctions import register_functions
from archive.writer import Archive
from bench.synthetic import make_doc, set_cell

QUERIES = yaml.safe_load((Path(__file__).resolve().parent.parent / "metadata.yml")
                         .read_text(encoding="utf-8"))["databases"]["archive"]["queries"]


def canned(db: Path, name: str, **params) -> list[dict]:
    conn = sqlite3.connect(db)
    register_functions(conn)
    sql = QUERIES[name]["sql"]
    args = {p: params.get(p, "") for p in set(re.findall(r":(\w+)", sql))}
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    out = [dict(zip(cols, r)) for r in cur.fetchall()]
    conn.close()
    return out


def figures_rows(db: Path) -> dict[int, dict]:
    figures.refresh(db)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    out = {r["report_id"]: dict(r) for r in conn.execute("SELECT * FROM report_figures")}
    conn.close()
    return out


def _arc(tmp_path) -> tuple[Archive, Path]:
    db = tmp_path / "a.db"
    arc = Archive(db)
    arc.sync_sources([{"id": "qs", "name": "青山县", "url": "http://qs.test/", "region": "青山县"},
                      {"id": "mx", "name": "闽溪县", "url": "http://mx.test/", "region": "闽溪县"}])
    return arc, db


def correction_of(doc: dict, tables=("t3",), published="2023-04-15") -> dict:
    fix = copy.deepcopy(doc)
    fix["title"] = "关于《" + doc["title"] + "》的更正"
    fix["published"] = published
    fix["sections"] = []
    fix["cells"] = [c for c in fix["cells"] if c["table"] in tables]
    fix["tables"] = {t: v for t, v in fix["tables"].items() if t in tables}
    return fix


def test_a_correction_that_republishes_the_tables_supersedes_the_report(tmp_path):
    arc, db = _arc(tmp_path)
    doc = make_doc("青山县人民政府", 2022, published="2023-03-23", seed=1)
    rid = store(arc, doc, "http://qs.test/nb.html", source_id="qs", kind="report")[0]
    other = store(arc, make_doc("青山县教育局", 2022, published="2023-01-20", seed=2),
                  "http://qs.test/edu.html", source_id="qs", kind="report")[0]
    fix = correction_of(doc)
    new = fix["tables"]["t3"]["new_received"]["total"] + 5     # the corrected number
    set_cell(fix, "t3", "new_received", "total", str(new), new)
    cid = store(arc, fix, "http://qs.test/fix.html", source_id="qs", kind="correction")[0]
    gid = store(arc, dict(doc, title="图解：" + doc["title"]), "http://qs.test/tujie.html",
                source_id="qs", kind="graphic")[0]
    rows = figures_rows(db)
    assert {i: rows[i]["counted"] for i in (rid, other, cid, gid)} == {rid: 0, other: 1, cid: 1, gid: 0}
    assert f"supersedes report {rid}" in rows[cid]["counted_reason"]
    assert str(cid) in rows[rid]["counted_reason"] and "图解" in rows[gid]["counted_reason"]
    # Table 四 is not reprinted by the 更正: it still comes from the report it corrects.
    assert rows[cid]["admin_review"] == rows[rid]["admin_review"] is not None
    counted = [(r["agency_key"], r["report_year"]) for r in rows.values() if r["counted"]]
    assert len(counted) == len(set(counted))
    apps = canned(db, "applications_by_year_region", year="2022", region="")
    assert [(a["region"], a["reports"], a["new_applications"]) for a in apps] == [
        ("青山县", 2, new + rows[other]["new_received"])]
    years = sqlite3.connect(db).execute("SELECT reports, new_received FROM report_figures_years "
                                        "WHERE report_year = 2022").fetchall()
    assert years == [(2, new + rows[other]["new_received"])]


def test_notices_without_tables_and_pictures_are_never_counted(tmp_path):
    arc, db = _arc(tmp_path)
    doc = make_doc("青山县人民政府", 2022, published="2023-03-23", seed=3)
    rid = store(arc, doc, "http://qs.test/nb.html", source_id="qs", kind="report")[0]
    cid = store(arc, correction_of(doc, tables=()), "http://qs.test/fix.html", source_id="qs",
                kind="correction")[0]
    rows = figures_rows(db)
    assert (rows[rid]["counted"], rows[cid]["counted"]) == (1, 0)
    assert "without table 三" in rows[cid]["counted_reason"]


def test_a_page_and_its_attachment_are_one_counted_report(tmp_path):
    arc, db = _arc(tmp_path)
    doc = make_doc("青山县财政局", 2022, published="2023-01-10", seed=4)
    rid = store(arc, dict(doc, cells=[], tables={}), "http://qs.test/p.html", source_id="qs",
                kind="report")[0]
    store_attachment(arc, "http://qs.test/p.html", doc, "http://qs.test/p.pdf")
    rows = figures_rows(db)
    assert list(rows) == [rid] and rows[rid]["counted"] == 1
    assert rows[rid]["new_received"] == doc["tables"]["t3"]["new_received"]["total"]
    # One crawl: nothing changed after publication, whatever the page and the PDF differ in.
    assert rows[rid]["changed"] == 0
    assert canned(db, "changed_after_publication") == []


def test_late_reports_are_the_failing_deadline_checks(tmp_path):
    arc, db = _arc(tmp_path)
    ids = {
        "dept_late": store(arc, make_doc("青山县教育局", 2022, published="2023-03-01"),
                           "http://qs.test/1", source_id="qs")[0],
        "gov_ok": store(arc, make_doc("青山县人民政府", 2022, published="2023-03-20"),
                        "http://qs.test/2", source_id="qs")[0],
        # a township's key ends in 政府 too: 1月31日, and late only warns (条例 names no date)
        "town_late": store(arc, make_doc("东湖镇人民政府", 2022, published="2023-03-01"),
                           "http://mx.test/3", source_id="mx")[0],
    }
    rows = figures_rows(db)
    assert rows[ids["gov_ok"]]["deadline"] == "2023-03-31"
    assert rows[ids["town_late"]]["deadline"] == "2023-01-31"
    assert rows[ids["town_late"]]["deadline_status"] == "warn"
    conn = sqlite3.connect(db)
    failing = {r for (r,) in conn.execute("SELECT report_id FROM checks WHERE is_current = 1 "
                                          "AND check_id = 'P-DEADLINE' AND status = 'fail'")}
    late = {r["report_id"] for r in canned(db, "late_reports", year="")}
    assert late == failing == {ids["dept_late"]}


def test_agencies_with_one_name_are_told_apart(tmp_path):
    arc, db = _arc(tmp_path)
    a = store(arc, make_doc("东湖镇人民政府", 2022, seed=5), "http://qs.test/dh", source_id="qs")[0]
    b = store(arc, make_doc("东湖镇人民政府", 2022, seed=6), "http://mx.test/dh", source_id="mx")[0]
    rows = figures_rows(db)
    assert rows[a]["agency_display"] == "东湖镇人民政府（青山县）"
    assert rows[b]["agency_display"] == "东湖镇人民政府（闽溪县）"
    assert rows[a]["counted"] == rows[b]["counted"] == 1
    one = canned(db, "outcome_shares", agency="闽溪县/东湖镇政府", year="")
    assert [r["report_id"] for r in one] == [b]
    t3 = canned(db, "agency_t3_across_years", agency="闽溪县/东湖镇政府")
    assert {r["report_id"] for r in t3} == {b}


def test_reports_without_tables_query(tmp_path):
    arc, db = _arc(tmp_path)
    prose = make_doc("青山县民政局", 2022, seed=7)
    rid = store(arc, dict(prose, cells=[], tables={}), "http://qs.test/prose", source_id="qs",
                kind="report")[0]
    store(arc, make_doc("青山县民政局", 2021, seed=7), "http://qs.test/ok", source_id="qs")
    figures_rows(db)
    assert [r["report_id"] for r in canned(db, "reports_without_tables", year="")] == [rid]


def test_counts_are_integers_in_figures_and_wide_views(tmp_path):
    """A researcher's CSV/JSON says 684, not 684.0 (the cells keep REAL values for fees)."""
    import json
    import urllib.request

    from archive.serve import background
    arc, db = _arc(tmp_path)
    doc = make_doc("青山县人民政府", 2022, published="2023-03-23", seed=1)
    rid = store(arc, doc, "http://qs.test/nb.html", source_id="qs", kind="report")[0]
    arc.close()
    figures.refresh(db)
    conn = sqlite3.connect(db)
    want = doc["tables"]["t3"]["new_received"]["total"]
    assert conn.execute("SELECT typeof(new_received), new_received FROM report_figures WHERE report_id = ?",
                        [rid]).fetchone() == ("integer", want)
    assert conn.execute("SELECT typeof(total), total FROM t3_wide WHERE report_id = ? AND row_key = "
                        "'new_received'", [rid]).fetchone() == ("integer", want)
    conn.close()
    with background(db) as url:
        rows = json.loads(urllib.request.urlopen(
            f"{url}/a/t3_wide.json?_shape=array&row_key=new_received", timeout=10).read())
    assert rows[0]["total"] == want and isinstance(rows[0]["total"], int)


def test_observed_lateness_needs_a_complete_column_read_after_the_deadline(tmp_path):
    """Late by our own evidence: the column was read after the deadline without the report."""
    import json
    arc, db = _arc(tmp_path)

    def crawl_day(day: str, complete: bool) -> int:
        run = arc.start_run(["qs"])
        arc.add_capture(run_id=run, source_id="qs", url="http://qs.test/list.html", status=200,
                        headers=[("Content-Type", "text/html")], body=f"<html>{day}</html>".encode(),
                        fetched_at=f"{day}T08:00:00Z", role="list")
        arc.finish_run(run, "finished", "finished",
                       {"nianbao/complete_lists": ["qs"] if complete else []})
        return run

    # Run 1 (first ever, before the deadline of departments, 2024-01-31): sees the 教育局 report.
    crawl_day("2024-01-20", True)
    early = store(arc, make_doc("青山县教育局", 2023, published="2024-01-18", seed=3),
                  "http://qs.test/edu.html", source_id="qs", seen_at="2024-01-20T08:00:01Z")[0]
    # Run 2, after the deadline, reads the column completely: the 财政局 report is not there yet.
    crawl_day("2024-02-10", True)
    # Run 3 sees it (its declared date says in time: only our evidence says otherwise).
    crawl_day("2024-02-20", True)
    late = store(arc, make_doc("青山县财政局", 2023, published="2024-01-25", seed=4),
                 "http://qs.test/fin.html", source_id="qs", seen_at="2024-02-20T08:00:01Z")[0]
    # A report first seen on a crawl after an INCOMPLETE read proves nothing.
    crawl_day("2024-03-01", False)
    crawl_day("2024-03-05", True)
    unsure = store(arc, make_doc("青山县民政局", 2023, published="2024-01-20", seed=5),
                   "http://qs.test/civ.html", source_id="qs", seen_at="2024-03-05T08:00:01Z")[0]
    # Another county's column, first crawled after the deadline: its report proves nothing.
    first = arc.start_run(["mx"])
    arc.finish_run(first, "finished", "finished", {"nianbao/complete_lists": ["mx"]})
    nothing = store(arc, make_doc("闽溪县财政局", 2023, published="2024-01-25", seed=6),
                    "http://mx.test/fin.html", source_id="mx", seen_at="2024-03-06T08:00:01Z")[0]
    # Runs are stored in order, but versions got run ids only through their captures: set them.
    arc.close()
    conn = sqlite3.connect(db)
    runs = [r for (r,) in conn.execute("SELECT id FROM crawl_runs ORDER BY id")]
    for rid, run in ((early, runs[0]), (late, runs[2]), (unsure, runs[4]), (nothing, first)):
        conn.execute("UPDATE captures SET run_id = ? WHERE id IN (SELECT capture_id FROM report_versions "
                     "WHERE report_id = ?)", [run, rid])
    conn.commit()
    conn.close()
    figures.refresh(db)
    rows = figures_rows(db)
    assert rows[early]["late_observed"] == 0
    assert rows[late]["late_observed"] == 1 and rows[late]["late_observed_capture"] is not None
    evidence = sqlite3.connect(db).execute("SELECT fetched_at, run_id FROM captures WHERE id = ?",
                                           [rows[late]["late_observed_capture"]]).fetchone()
    assert evidence == ("2024-02-10T08:00:00Z", runs[1])
    # run 4 was incomplete, but run 2 (complete, after the deadline) already lacked it
    assert rows[unsure]["late_observed"] == 1
    assert rows[nothing]["late_observed"] is None and rows[nothing]["late_observed_capture"] is None
    assert json.loads(json.dumps(canned(db, "late_by_observation")))[0]["report_id"] in (late, unsure)
    assert {r["report_id"] for r in canned(db, "late_by_observation")} == {late, unsure}
