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
