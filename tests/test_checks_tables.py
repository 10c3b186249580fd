"""Within-report checks over hand-built documents and the real seeds."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from archive.checks import tables
from bench.synthetic import make_doc, set_cell
from nianbao import canon

SEEDS = Path(__file__).parent / "data" / "seeds"


def by(results, cid):
    return {r["scope"]: r for r in results if r["id"] == cid}


def not_pass(results):
    return {(r["id"], r["scope"]): r["status"] for r in results if r["status"] != "pass"}


def test_balanced_2021_report_passes_every_check():
    doc = make_doc("海宁市人民政府", 2023, seed=1)
    res = tables.run(doc)
    assert not_pass(res) == {}
    assert len(by(res, "T3-BAL")) == 7
    assert len(by(res, "T3-SUM-RESULTS")) == 7
    assert len(by(res, "T3-SUM-COLS")) == 25          # the 25 data rows of the 2021 format
    assert len(by(res, "T4-SUM")) == 3
    assert all(r["version"] for r in res)


def test_balanced_2019_report_uses_the_single_other_row():
    doc = make_doc("某市教育局", 2020, seed=2)
    assert doc["format"] == "2019" and "other.total" in doc["tables"]["t3"]
    res = tables.run(doc)
    assert not_pass(res) == {}
    assert len(by(res, "T3-SUM-COLS")) == 23
    operands = {k.split("/")[1] for k in by(res, "T3-SUM-RESULTS")["t3/total"]["cells"]}
    assert "other.total" in operands and "other.no_correction" not in operands
    assert len(operands) == 1 + 2 + 8 + 3 + 5 + 1     # total, granted/partial, Σ groups, other


def test_one_wrong_cell_fails_exactly_its_row_and_column():
    doc = make_doc("海宁市人民政府", 2023, seed=3)
    v = doc["tables"]["t3"]["new_received"]["natural_person"]
    set_cell(doc, "t3", "new_received", "natural_person", str(v + 5), v + 5)
    res = tables.run(doc)
    assert not_pass(res) == {("T3-BAL", "t3/natural_person"): "fail",
                             ("T3-SUM-COLS", "t3/new_received"): "fail"}
    bal = by(res, "T3-BAL")["t3/natural_person"]
    assert bal["delta"] == 5                     # printed side is 5 more than it should be
    assert bal["actual"] - bal["expected"] == 5
    cols = by(res, "T3-SUM-COLS")["t3/new_received"]
    assert cols["delta"] == -5                    # the printed total is 5 short of its parts
    assert bal["cells"] == {f"t3/{r}/natural_person": str(doc["tables"]["t3"][r]["natural_person"])
                            for r in ("new_received", "carried_over", "total_processed",
                                      "carried_forward")}


def _find(doc, pred):
    for row in canon.T3_ROWS_2021[2:-2]:
        for col in canon.T3_APPLICANT_COLS:
            v = doc["tables"]["t3"].get(row, {}).get(col)
            if v is not None and pred(v):
                return row, col
    raise AssertionError("no such cell")


def test_blank_is_never_zero_but_the_note_says_whether_zero_would_pass():
    doc = make_doc("海宁市人民政府", 2023, seed=4)
    row0, col0 = _find(doc, lambda v: v == 0)
    row1, col1 = _find(doc, lambda v: v > 0)
    set_cell(doc, "t3", row0, col0, "")
    set_cell(doc, "t3", row1, col1, "/", None, canon.NA)
    res = tables.run(doc)
    r0 = by(res, "T3-SUM-RESULTS")[f"t3/{col0}"]
    assert r0["status"] == "not_assessable" and r0["expected"] is None
    if col0 != col1:
        assert r0["if_blanks_zero"] == "pass"
        assert "would pass if blanks were 0" in r0["detail"]
    r1 = by(res, "T3-SUM-RESULTS")[f"t3/{col1}"]
    assert r1["status"] == "not_assessable" and r1["if_blanks_zero"] == "fail"
    assert by(res, "T3-SUM-COLS")[f"t3/{row1}"]["status"] == "not_assessable"
    # Nothing fails because of a blank, and the blank rows' other checks still pass.
    assert "fail" not in not_pass(res).values()
    empty = by(res, "S-EMPTY")["t3"]
    assert empty["status"] == "warn" and empty["actual"] == 2


def test_all_slashes_table_is_not_assessable_without_a_zero_note():
    doc = make_doc("高陵区人民政府", 2021, seed=5)
    for r in canon.T4_ROWS:
        for c in canon.T4_COLS:
            set_cell(doc, "t4", r.key, c.key, "/", None, canon.NA)
    res = tables.run(doc)
    for r in by(res, "T4-SUM").values():
        assert r["status"] == "not_assessable" and r["if_blanks_zero"] is None
    assert by(res, "T4-DOMAIN")["t4"]["status"] == "not_assessable"
    assert by(res, "S-EMPTY")["t4"]["actual"] == 15


def test_domains_negative_fraction_text_and_signed_items_change():
    doc = make_doc("某市教育局", 2020, seed=6)   # 2019 format: items_change may be negative
    set_cell(doc, "t2", "admin_licensing", "items_change", "-8", -8)
    set_cell(doc, "t4", "admin_review", "upheld", "-1", -1)
    set_cell(doc, "t3", "granted", "natural_person", "1.5", 1.5)
    res = tables.run(doc)
    assert by(res, "T2-DOMAIN")["t2"]["status"] == "pass"
    assert by(res, "T4-DOMAIN")["t4"]["status"] == "fail"
    assert "admin_review/upheld" in by(res, "T4-DOMAIN")["t4"]["detail"]
    assert by(res, "T3-DOMAIN")["t3"]["status"] == "fail"
    doc2 = make_doc("某市教育局", 2023, seed=6)
    set_cell(doc2, "t3", "granted", "legal_other", "若干", None, canon.TEXT)
    assert by(tables.run(doc2), "T3-DOMAIN")["t3"]["status"] == "warn"


def test_sections_missing_or_out_of_order():
    doc = make_doc("某市教育局", 2023, seed=7)
    assert by(tables.run(doc), "S-SECTIONS")["sections"]["status"] == "pass"
    missing = copy.deepcopy(doc)
    missing["sections"] = [s for s in doc["sections"] if s["key"] != "s5"]
    r = by(tables.run(missing), "S-SECTIONS")["sections"]
    assert r["status"] == "fail" and "五、存在的主要问题及改进情况" in r["detail"]
    swapped = copy.deepcopy(doc)
    swapped["sections"] = [{"title": s["title"]} for s in doc["sections"]]  # titles only
    swapped["sections"][2], swapped["sections"][3] = swapped["sections"][3], swapped["sections"][2]
    assert by(tables.run(swapped), "S-SECTIONS")["sections"]["status"] == "fail"
    none = dict(doc, sections=[])
    assert by(tables.run(none), "S-SECTIONS")["sections"]["status"] == "not_assessable"


def test_format_must_match_the_year():
    doc = make_doc("某市教育局", 2022, seed=8, fmt="2019")   # 2022 report in 2019 labels
    r = by(tables.run(doc), "S-FORMAT")["format"]
    assert r["status"] == "fail" and r["expected"] == "2021" and r["actual"] == "2019"
    assert by(tables.run(make_doc("某市教育局", 2020, seed=8)), "S-FORMAT")["format"]["status"] == "pass"


def test_missing_tables_make_checks_not_assessable():
    doc = make_doc("某市教育局", 2023, seed=9)
    doc["cells"], doc["tables"] = [], {}
    res = tables.run(doc)
    for cid in ("T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS", "T4-SUM", "T2-DOMAIN"):
        assert {r["status"] for r in res if r["id"] == cid} == {"not_assessable"}


def test_tables_only_documents_work_without_cells():
    doc = make_doc("某市教育局", 2023, seed=10)
    doc.pop("cells")
    assert not_pass(tables.run(doc)) == {}


@pytest.mark.skipif(not SEEDS.exists(), reason="seeds not available")
def test_real_seed_reports_balance():
    extract = pytest.importorskip("pipelines.extract.document").extract_document
    # 海宁 2023 is an official report whose table 三 balances (505+16+…=523 new requests).
    doc = extract((SEEDS / "000_182295efcc30db92.txt").read_bytes(), "http://x/a.txt", {})
    res = tables.run(doc)
    assert not [r for r in res if r["status"] == "fail"]
    assert {r["status"] for r in res if r["id"] == "T3-BAL"} == {"pass"}
    assert by(res, "T3-BAL")["t3/total"]["expected"] > 0


@pytest.mark.parametrize("kind,fmt,year,status", [
    ("report", "2021", 2023, "fail"),          # the format requires tables: a finding
    ("report", None, 2020, "fail"),            # year says 2019 format
    ("report", "legacy", 2017, "not_assessable"),
    ("graphic", None, 2023, "not_assessable"),  # 图解 and 更正 are exempt
    ("correction", None, 2023, "not_assessable"),
    ("attachment_only", None, 2023, "not_assessable"),
])
def test_s_tables_a_report_without_tables_is_a_finding(kind, fmt, year, status):
    doc = make_doc("某市教育局", year, seed=11)
    doc["cells"], doc["tables"] = [], {}
    doc.update(kind=kind, format=fmt)
    (r,) = [x for x in tables.run(doc) if x["id"] == "S-TABLES"]
    assert r["status"] == status
    full = make_doc("某市教育局", 2023, seed=11)
    full["kind"] = "report"
    assert [x["status"] for x in tables.run(full) if x["id"] == "S-TABLES"] == ["pass"]


def test_s_tables_through_the_archive_and_a_correction_needs_no_sections(tmp_path):
    from archive_helpers import current_checks, store

    from archive.writer import Archive
    arc = Archive(tmp_path / "a.db")
    prose = make_doc("某市教育局", 2023, seed=12)
    prose["cells"], prose["tables"] = [], {}
    rid = store(arc, prose, "http://t/prose.html", kind="report")[0]
    assert [r["status"] for r in current_checks(arc, rid, "S-TABLES")] == ["fail"]
    failing = arc.db.conn.execute("SELECT failing_checks FROM report_overview WHERE id = ?",
                                  [rid]).fetchone()[0]
    assert failing >= 1
    fix = make_doc("某市教育局", 2023, seed=12)
    fix["sections"] = []
    cid = store(arc, fix, "http://t/fix.html", kind="correction")[0]
    assert [r["status"] for r in current_checks(arc, cid, "S-SECTIONS")] == ["not_assessable"]
    assert [r["status"] for r in current_checks(arc, cid, "S-TABLES")] == ["not_assessable"]
