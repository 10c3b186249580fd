"""Acceptance over the farm's generated reports: real HTML, real extractor, real archive.

Deliberately broken reports (farm.tablegen breaks) must fail exactly the checks the farm
expects; consecutive years of one agency must carry over, whatever the arrival order.
"""
from __future__ import annotations

import json

import pytest
from archive_helpers import current_checks, store

from archive.writer import Archive

reports = pytest.importorskip("farm.reports")
tablegen = pytest.importorskip("farm.tablegen")
document = pytest.importorskip("pipelines.extract.document")


def page(g) -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{g.title}</title></head><body>'
            f'<h1>{g.title}</h1><p>发布日期：{g.report_year + 1}-01-20</p>{g.body_html}'
            "</body></html>").encode("utf-8")


def archive_report(arc, g, url):
    data = page(g)
    doc = document.extract_document(data, url, {"content-type": "text/html; charset=utf-8"})
    return store(arc, doc, url, body=data, content_type="text/html; charset=utf-8")[0]


def broken_report(check_id: str):
    """A farm report with the first break that makes `check_id` fail."""
    def spec(b):
        return reports.ReportSpec(agency="清河县人民政府", year=2023, fmt="2021", layout="word", breaks=(b,))
    return reports.generate(spec(next(b for b in tablegen.BREAKABLE
                                      if check_id in reports.generate(spec(b)).expected_failures)))


@pytest.mark.parametrize("brk", [None, *tablegen.BREAKABLE])
def test_broken_reports_fail_exactly_the_expected_checks(tmp_path, brk):
    arc = Archive(tmp_path / "a.db")
    spec = reports.ReportSpec(agency="清河县人民政府", year=2023, fmt="2021", layout="word",
                              breaks=(brk,) if brk else ())
    g = reports.generate(spec)
    rid = archive_report(arc, g, "http://farm.test/r.html")
    failing = {r["check_id"] for r in current_checks(arc, rid) if r["status"] == "fail"}
    assert failing == set(g.expected_failures)
    assert arc.db.conn.execute("SELECT COUNT(*) FROM cells c JOIN reports r ON r.id = c.report_id "
                               "AND c.version_id = r.current_version_id").fetchone()[0] == len(g.cells)


def test_format_mismatch_is_expected_and_found(tmp_path):
    arc = Archive(tmp_path / "a.db")
    g = reports.generate(reports.ReportSpec(agency="清河县人民政府", year=2022, fmt="2019"))
    rid = archive_report(arc, g, "http://farm.test/r.html")
    failing = {r["check_id"] for r in current_checks(arc, rid) if r["status"] == "fail"}
    assert failing == set(g.expected_failures) == {"S-FORMAT"}


@pytest.mark.parametrize("order", [(2022, 2023), (2023, 2022)])
def test_farm_years_carry_over_in_either_order(tmp_path, order):
    arc = Archive(tmp_path / "a.db")
    ids = {y: archive_report(arc, reports.generate(reports.ReportSpec(agency="清河县教育局", year=y)),
                             f"http://farm.test/{y}.html") for y in order}
    carry = current_checks(arc, ids[2023], "X-CARRY")
    assert len(carry) == 7 and {r["status"] for r in carry} == {"pass"}


def test_passing_sums_store_no_operands_and_give_them_back(tmp_path):
    """A passing sum check's operands are the version's own cells (docs/checks.md#storage): its row
    keeps no JSON copy; a failing one keeps its operands, and `fill_operands` rebuilds the JSON
    the check listed."""
    from archive import checks
    arc = Archive(tmp_path / "a.db")
    g = broken_report("T3-SUM-COLS")
    rid = archive_report(arc, g, "http://farm.test/r.html")
    rows = current_checks(arc, rid)
    sums = [r for r in rows if r["check_id"] in checks.OPERANDS_BY_DEFINITION]
    assert {r["status"] for r in sums} >= {"pass", "fail"}
    assert all((r["cells"] is None) == (r["status"] == "pass") for r in sums)
    vid = rows[0]["version_id"]
    present = checks.present_cells(
        {"tbl": t, "row_key": r, "col_key": c, "raw": raw} for t, r, c, raw in arc.db.conn.execute(
            "SELECT tbl, row_key, col_key, raw FROM cells WHERE version_id = ?", [vid]))
    doc = checks.version_doc(arc.db.conn, vid)
    fresh = {(r["id"], r["scope"]): r for r in checks.report_checks(doc)}
    for r in sums:
        filled = json.loads(checks.fill_operands(dict(r), present)["cells"])
        assert filled == fresh[(r["check_id"], r["scope"])]["cells"]


def test_passing_table_checks_store_no_details_and_give_them_back(tmp_path):
    """A passing within-report check keeps only its kind and status (docs/checks.md#storage);
    `fill_passes` recomputes from the stored version exactly the rows the checks gave, in
    order, several passes of one kind included; failing rows keep their details."""
    from archive import checks
    from archive.datasette.explain import explain
    arc = Archive(tmp_path / "a.db")
    g = broken_report("T3-BAL")
    rid = archive_report(arc, g, "http://farm.test/r.html")
    rows = current_checks(arc, rid)
    vid = rows[0]["version_id"]
    mine = [r for r in rows if r["check_id"] in checks.TABLE_IDS]
    passes = [r for r in mine if r["status"] == "pass"]
    assert len(passes) > 20 and all(r[c] is None for r in passes for c in checks.PASS_DETAILS)
    assert any(r["detail"] or r["expected"] is not None for r in mine if r["status"] == "fail")
    conn = arc.db.conn
    doc = checks.version_doc(conn, vid)
    present = checks.present_cells(doc["cells"])
    want = [checks._row(rid, vid, r, present) for r in checks.report_checks(doc)]
    filled = checks.fill_passes(conn, vid, [dict(r) for r in mine])
    assert len(filled) == len(want)
    for got, w in zip(sorted(filled, key=lambda r: r["id"]), want):
        assert {k: got[k] for k in w if k not in ("report_id", "version_id", "is_current")} == \
            {k: w[k] for k in w if k not in ("report_id", "version_id", "is_current")}
        assert explain(got)

    # Two passes of one kind are told apart by their order; an unmatched row stays as stored.
    twice = [{**checks.tables._result("S-TEXT-TABLE", "pass", "t3.received", detail=d)} for d in ("a", "b")]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(checks, "report_checks", lambda doc: twice)
        bare = [{"id": i, "check_id": "S-TEXT-TABLE", "scope": "t3.received", "expression": "",
                 "check_version": checks.CHECKS_VERSION, "status": "pass", **dict.fromkeys(checks.PASS_DETAILS)}
                for i in (9, 5, 7)]
        checks.fill_passes(conn, vid, bare)
    assert [(r["id"], r["detail"]) for r in bare] == [(9, None), (5, "a"), (7, "b")]
    # A pass that kept its details still holds its place: the stripped one after it is the second.
    with pytest.MonkeyPatch.context() as m:
        m.setattr(checks, "report_checks", lambda doc: twice)
        mixed = [{**bare[1], "id": 3, "detail": "kept"}, {**bare[2], "id": 4, **dict.fromkeys(checks.PASS_DETAILS)}]
        checks.fill_passes(conn, vid, mixed)
    assert [(r["id"], r["detail"]) for r in mixed] == [(3, "kept"), (4, "b")]
