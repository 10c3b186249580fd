"""The scorecard (archive/scorecard.py): one row per agency and year, indicators read from the
check results with their evidence, unknown kept NULL; the region page and CSV in Datasette and
in real Chromium.

Two archives: the hand-made sample (planted lateness, T3-BAL failure, P-CHANGED), and a
demo-like one: the farm's TRS portal crawled, its edition 1 published (a report edited, one
added, one taken down, a 更正), crawled again — what `nianbao demo` does, on one portal.
"""
from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from crawl_helpers import crawl, write_registry

from archive import figures
from archive import scorecard as sc
from archive.checks import write_results
from archive.datasette import sample
from archive.serve import background
from crawler import browser as chromium
from farm import Farm

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"


def rows(db: Path, sql: str, args=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def card(db: Path) -> dict[tuple, dict]:
    return {(r["agency_key"], r["report_year"]): r for r in rows(db, "SELECT * FROM scorecard")}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("sc-sample") / "archive.db"
    return db, sample.build(db)


def by_report(db: Path) -> dict[int, dict]:
    return {r["judged_report_id"]: r for r in card(db).values()}


# ---------------------------------------------------------------- the sample's planted findings
def test_planted_findings_show_with_their_evidence(sample_db):
    db, ids = sample_db
    c = by_report(db)
    late = c[ids["edu2022"]]                                   # published 2023-05-10, due 01-31
    assert (late["on_time_declared"], late["days_late"], late["deadline"]) == (0, 99, "2023-01-31")
    (ev,) = rows(db, "SELECT check_id, status, report_id FROM checks WHERE id = ?", [late["deadline_check"]])
    assert ev == {"check_id": "P-DEADLINE", "status": "fail", "report_id": ids["edu2022"]}
    broken = c[ids["city2021"]]                                # table 三 total column off by 5
    assert broken["tables_consistent"] == 0 and broken["table_failures"] >= 1
    (ev,) = rows(db, "SELECT check_id, status FROM checks WHERE id = ?", [broken["table_check"]])
    assert ev["status"] == "fail" and ev["check_id"] in sc.TABLE_CHECKS
    assert broken["has_pdf"] == 1 and c[ids["city2022"]]["has_pdf"] == 0    # 2021 has a PDF attachment
    edited = c[ids["edu2021"]]                                  # seen twice with a changed cell
    assert (edited["changed_after_publication"], edited["unchanged"]) == (1, 0)
    (ev,) = rows(db, "SELECT check_id, status FROM checks WHERE id = ?", [edited["changed_check"]])
    assert ev == {"check_id": "P-CHANGED", "status": "warn"}
    for r in c.values():
        known = [r[s] for s in sc.SCORED if r[s] is not None]
        assert (r["indicators_known"], r["indicators_met"]) == (len(known), sum(known))
        assert r["score"] == round(100 * sum(known) / len(known), 1)
        assert r["online"] == "online" and r["still_online"] == 1 and r["has_html"] == 1


def test_indicators_come_from_the_results_table_and_unknown_stays_null(sample_db, tmp_path):
    """S-TEXT-TABLE and X-COPY-OTHER are read by check id: results written for a report show up
    after a refresh; a report without results for a check has NULL, never 0 or ✓."""
    db, ids = sample_db
    copy = tmp_path / "archive.db"
    shutil.copy(db, copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    vid = {name: conn.execute("SELECT current_version_id FROM reports WHERE id = ?", [rid]).fetchone()[0]
           for name, rid in ids.items()}
    shared = {"id": "X-COPY-OTHER", "status": "warn", "scope": "paragraph 2", "detail": "report 9 shares it"}
    write_results(conn, ids["city2022"], vid["city2022"], ("X-COPY-OTHER",), [shared, {**shared, "scope": "paragraph 5"}])
    write_results(conn, ids["edu2022"], vid["edu2022"], ("X-COPY-OTHER",),
                  [{"id": "X-COPY-OTHER", "status": "pass", "scope": "report"}])
    write_results(conn, ids["edu2021"], vid["edu2021"], ("S-TEXT-TABLE",),
                  [{"id": "S-TEXT-TABLE", "status": "pass", "scope": "t3/new_received/total"},
                   {"id": "S-TEXT-TABLE", "status": "fail", "scope": "t4/admin_review/total", "delta": 3}])
    write_results(conn, ids["city2020"], vid["city2020"], ("S-TEXT-TABLE",),
                  [{"id": "S-TEXT-TABLE", "status": "not_assessable", "scope": "t3/new_received/total"}])
    for name in ("city2021", "edu2021"):     # as if X-COPY-OTHER had not run for these two
        write_results(conn, ids[name], vid[name], ("X-COPY-OTHER",), [])
    # copy_stats (archive/checks/copies.py) counts distinct shared paragraphs when the archive has it
    stats = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'copy_stats'").fetchone()
    if stats:
        conn.execute("INSERT OR REPLACE INTO copy_stats (report_id, version_id, paragraphs_copied_other) "
                     "VALUES (?, ?, 3)", [ids["city2022"], vid["city2022"]])
    conn.close()
    assert figures.refresh(copy)                               # new results: the fingerprint moved
    c = by_report(copy)
    assert (c[ids["city2022"]]["copied_paragraphs"], c[ids["city2022"]]["no_copied_paragraphs"]) == (3 if stats else 2, 0)
    assert c[ids["city2022"]]["copied_from_reports"] == 2
    assert (c[ids["edu2022"]]["copied_paragraphs"], c[ids["edu2022"]]["no_copied_paragraphs"]) == (0, 1)
    assert c[ids["edu2021"]]["text_matches_tables"] == 0 and c[ids["edu2021"]]["text_table_failures"] == 1
    (ev,) = rows(copy, "SELECT scope FROM checks WHERE id = ?", [c[ids["edu2021"]]["text_check"]])
    assert ev["scope"] == "t4/admin_review/total"               # the evidence is the failing result
    assert c[ids["city2020"]]["text_matches_tables"] is None     # only not_assessable: unknown
    for name in ("city2021", "edu2021"):                        # no current X-COPY-OTHER result
        assert c[ids[name]]["copied_paragraphs"] is None and c[ids[name]]["no_copied_paragraphs"] is None


def test_metadata_describes_every_scorecard_column():
    import yaml
    meta = yaml.safe_load(METADATA.read_text("utf-8"))["databases"]["archive"]["tables"]["scorecard"]
    assert set(meta["columns"]) == set(sc.NAMES) and meta["description"]


# ---------------------------------------------------------------- a demo-like archive from the farm
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sc-demo")
    db = tmp / "demo.db"
    with Farm(port=0) as farm:
        sources = [s for s in farm.sources() if s["id"] == "farm-trs"]
        reg = write_registry(tmp / "sources.yml", sources)
        crawl(db, reg)
        farm.set_edition(1)                      # edited, added, deleted, corrected
        changes = farm.manifest()["changes"]
        crawl(db, reg)
    region = sources[0]["region"]
    return db, region, changes


def _report_of(db: Path, url: str) -> int:
    (r,) = rows(db, "SELECT report_id FROM report_urls WHERE url = ?", [url])
    return r["report_id"]


def test_one_row_per_agency_year_from_the_counted_report(demo):
    db, region, changes = demo
    c = card(db)
    figs = rows(db, "SELECT report_id, agency_key, report_year, counted FROM report_figures "
                    "WHERE agency_key IS NOT NULL AND report_year IS NOT NULL")
    assert set(c) == {(f["agency_key"], f["report_year"]) for f in figs}
    for f in figs:
        if f["counted"]:
            assert c[(f["agency_key"], f["report_year"])]["report_id"] == f["report_id"]
    assert {r["region"] for r in c.values()} == {region}
    # the 更正 is counted (its tables), the report it corrects is the one judged (date, sections, text)
    (fixed,) = changes["corrected"]
    fix_id = _report_of(db, fixed)
    row = next(r for r in c.values() if r["report_id"] == fix_id)
    (orig,) = rows(db, "SELECT id, kind FROM reports WHERE agency_key = (SELECT agency_key FROM reports WHERE id = ?) "
                       "AND report_year = ? AND kind = 'report'", [fix_id, row["report_year"]])
    assert row["judged_report_id"] == orig["id"] != fix_id and row["editions"] >= 2
    assert row["tables_consistent"] == 1                       # the 更正's balanced table 三
    (fig,) = rows(db, "SELECT new_received FROM report_figures WHERE report_id = ?", [fix_id])
    assert row["new_received"] == fig["new_received"]


def test_edited_and_deleted_reports(demo):
    db, _, changes = demo
    c = by_report(db)
    edited = c[_report_of(db, changes["edited"][0])]
    assert edited["changed_after_publication"] == 1
    (ev,) = rows(db, "SELECT check_id, status, report_id FROM checks WHERE id = ?", [edited["changed_check"]])
    assert ev == {"check_id": "P-CHANGED", "status": "warn", "report_id": edited["judged_report_id"]}
    gone = c[_report_of(db, changes["deleted"][0])]
    assert (gone["online"], gone["still_online"]) == ("gone", 0) and gone["gone_at"]
    others = [r for r in c.values() if r is not gone and r is not edited]
    assert all(r["online"] == "online" for r in others)
    assert all(r["changed_after_publication"] == 0 for r in others)


def _expected_flag(statuses: list[str], bad: str = "fail") -> int | None:
    if not statuses:
        return None
    if bad in statuses:
        return 0
    return 1 if "pass" in statuses else None


def test_every_indicator_agrees_with_the_check_results(demo):
    """Recomputed here from the checks table, row by row: no indicator is invented, none defaults."""
    db, _, _ = demo
    results: dict[tuple[int, str], list[str]] = {}
    shared: dict[int, int] = {}
    for r in rows(db, "SELECT report_id, check_id, status, actual FROM checks WHERE is_current = 1"):
        results.setdefault((r["report_id"], r["check_id"]), []).append(r["status"])
        if r["check_id"] == "X-COPY-OTHER" and r["status"] == "warn":
            shared[r["report_id"]] = shared.get(r["report_id"], 0) + int(r["actual"] or 1)
    if rows(db, "SELECT 1 FROM sqlite_master WHERE name = 'copy_stats'"):
        shared.update({r["report_id"]: r["paragraphs_copied_other"] for r in rows(
            db, "SELECT report_id, paragraphs_copied_other FROM copy_stats WHERE paragraphs_copied_other IS NOT NULL")})
    seen_text = 0
    for r in card(db).values():
        j, k = r["judged_report_id"], r["report_id"]
        one = {cid: (results.get((j, cid)) or [None])[0] for cid in ("P-DEADLINE", "S-SECTIONS", "X-COPY")}
        flag = {"pass": 1, "fail": 0, "warn": 0}
        assert r["on_time_declared"] == flag.get(one["P-DEADLINE"]), r
        assert r["sections_complete"] == flag.get(one["S-SECTIONS"]), r
        assert r["not_copied_last_year"] == flag.get(one["X-COPY"]), r
        assert r["tables_present"] == flag.get((results.get((k, "S-TABLES")) or [None])[0]), r
        table = [s for cid in sc.TABLE_CHECKS for s in results.get((k, cid), [])]
        assert r["tables_consistent"] == _expected_flag(table), r
        text = results.get((j, "S-TEXT-TABLE"), [])
        seen_text += bool(text)
        assert r["text_matches_tables"] == _expected_flag(text), r
        assert r["text_table_failures"] == (text.count("fail") if text else None)
        other = results.get((j, "X-COPY-OTHER"), [])
        assert r["copied_from_reports"] == (other.count("warn") if other else None)
        assert r["copied_paragraphs"] == (shared.get(j, 0) if other else None)
    print(f"{seen_text} agency-years with S-TEXT-TABLE results")


# ---------------------------------------------------------------- Datasette over HTTP and in Chromium
@pytest.fixture(scope="module")
def site(demo):
    db, region, _ = demo
    with background(db, METADATA) as url:
        yield url, db, region


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {}, e.read()


def _latest_full_year(db: Path, region: str) -> int:
    (r,) = rows(db, "SELECT report_year FROM scorecard WHERE region = ? GROUP BY report_year "
                    "ORDER BY COUNT(*) DESC, report_year DESC LIMIT 1", [region])
    return r["report_year"]


def test_region_csv_has_bom_labels_and_the_ranking(site):
    url, db, region = site
    year = _latest_full_year(db, region)
    q = urllib.parse.urlencode({"region": region, "year": year})
    status, headers, body = get(f"{url}/-/scorecard.csv?{q}")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert headers["content-type"].startswith("text/csv") and "attachment" in headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    expected = rows(db, "SELECT * FROM scorecard WHERE region = ? AND report_year = ?", [region, year])
    assert len(table) == len(expected) > 1
    assert "score（得分）" in table[0] and "text_matches_tables（文字与表格一致）" in table[0]
    scores = [float(r["score（得分）"]) for r in table if r["score（得分）"] != ""]
    assert scores == sorted(scores, reverse=True)               # ranked by score
    by_key = {r["agency_key"]: r for r in expected}
    for r in table:
        want = by_key[r["agency_key（机构键）"]]
        for n in ("on_time_declared", "text_matches_tables", "copied_paragraphs", "tables_consistent"):
            assert r[f"{n}（{sc.LABELS[n]}）"] == ("" if want[n] is None else str(want[n]))   # NULL stays blank
    assert get(f"{url}/-/scorecard?{q}&sort=nonsense")[0] == 404
    assert get(f"{url}/-/scorecard.csv")[0] == 404              # a region is required


@pytest.mark.browser
def test_scorecard_page_and_csv_in_chromium(site, tmp_path):
    if not chromium.available():
        pytest.skip("Debian chromium is not installed (make setup)")
    from playwright.sync_api import sync_playwright
    url, db, region = site
    year = _latest_full_year(db, region)
    expected = rows(db, "SELECT agency_key, agency_display, score, repetition_text FROM scorecard "
                        "WHERE region = ? AND report_year = ?", [region, year])
    with sync_playwright() as p:
        b = p.chromium.launch(**chromium.launch_options())
        ctx = b.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
        pg = ctx.new_page()
        errors = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        # the region is chosen in the form, as a reader would
        assert pg.goto(f"{url}/-/scorecard", wait_until="load").status == 200
        pg.select_option("select[name=region]", region)
        pg.select_option("select[name=year]", str(year))
        pg.click("form.chart-filter button[type=submit]")
        pg.wait_for_load_state("load")
        body_rows = pg.locator("table.scorecard tbody tr")
        assert body_rows.count() == len(expected)
        shown = [float(t) for t in pg.locator("table.scorecard tbody td[data-col=score] .badge").all_inner_texts()
                 if t != "—"]
        assert shown == sorted(shown, reverse=True)
        # sort by 机构 (a header link), then the other way round
        pg.click("thead a[data-col=agency_display]")
        pg.wait_for_load_state("load")
        names = pg.locator("table.scorecard tbody a.agency").all_inner_texts()
        assert names == sorted(names)
        pg.click("thead a[data-col=agency_display]")
        pg.wait_for_load_state("load")
        assert pg.locator("table.scorecard tbody a.agency").all_inner_texts() == sorted(names, reverse=True)
        # an indicator's evidence opens the check result it rests on, where it is explained
        evidence = pg.locator("td[data-col=on_time_declared] a.badge").first
        href = evidence.get_attribute("href")
        assert "/-/check/" in href
        check = href.rsplit("/", 1)[1]
        evidence.click()
        pg.wait_for_load_state("load")
        assert "/-/report/" in pg.url and pg.url.endswith(f"#check-{check}")
        assert pg.locator(f"tr#check-{check}").is_visible()
        pg.go_back()
        pg.wait_for_load_state("load")
        # the CSV download: UTF-8 with a BOM, one line per agency
        with pg.expect_download() as dl:
            pg.click("a.download")
        path = tmp_path / "scorecard.csv"
        dl.value.save_as(path)
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and dl.value.suggested_filename.endswith(".csv")
        assert len(list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))) == len(expected)
        # the agency page shows the same indicators, year by year
        pg.click("table.scorecard tbody a.agency >> nth=0")
        pg.wait_for_load_state("load")
        assert pg.locator("#indicators table.scorecard tbody tr").count() >= 1
        assert pg.locator("#indicators th[data-col=text_matches_tables]").inner_text() == "文字与表格一致"
        pg.goto(url + href, wait_until="load")
        assert "P-DEADLINE" in pg.content()
        assert errors == [], errors
        b.close()


def test_unknown_shows_as_a_dash_never_as_a_cross(site):
    """A — in the page is a NULL in the table: count them both ways for one region-year."""
    url, db, region = site
    year = _latest_full_year(db, region)
    status, _, body = get(f"{url}/-/scorecard?" + urllib.parse.urlencode({"region": region, "year": year}))
    assert status == 200
    html = body.decode("utf-8")
    nulls = rows(db, "SELECT COUNT(*) AS n FROM scorecard WHERE region = ? AND report_year = ? "
                     "AND text_matches_tables IS NULL", [region, year])[0]["n"]
    assert html.count('data-col="text_matches_tables" title="文字与表格一致" style="white-space: nowrap">'
                      '<span class="badge na">—') == nulls
