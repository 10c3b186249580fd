"""The thin end-to-end path of the skeleton: a sample portal on 127.0.0.1 → a real crawl →
a real SQLite archive with captures and report bodies → a real Datasette answering."""
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.serve import free_port
from crawler import registry
from farm import Farm

NIANBAO = [sys.executable, "-m", "cli.main"]



@pytest.fixture(scope="module")
def trs_archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    with Farm(port=0) as farm:
        sources = [s for s in farm.sources() if s["id"] == "farm-trs"]
        assert sources, "the farm has a TRS portal"
        registry.dump(sources, tmp / "sources.yml")
        db = tmp / "archive.db"
        subprocess.run(NIANBAO + ["crawl", "--db", str(db), "--registry", str(tmp / "sources.yml"),
                                  "--log-level", "WARNING", "-s", "NIANBAO_ALLOW_PRIVATE_HOSTS=*.test"],
                       check=True, timeout=900)
        manifest = farm.manifest()
    expected = [r for r in manifest["reports"] if r["portal"] == "farm-trs"]
    return db, expected


def test_every_report_of_the_portal_is_archived_with_a_capture(trs_archive):
    import sqlite3
    db, expected = trs_archive
    conn = sqlite3.connect(db)
    got = dict(conn.execute("SELECT url, current_version_id FROM reports").fetchall())
    missing = [r["url"] for r in expected if r["url"] not in got]
    assert not missing, f"{len(missing)} of {len(expected)} reports not archived: {missing[:3]}"
    for r in expected:
        row = conn.execute(
            "SELECT c.outcome, c.sha256, c.warc_file, r.body_text FROM reports r "
            "JOIN report_versions v ON v.id = r.current_version_id "
            "JOIN captures c ON c.id = v.capture_id WHERE r.url = ?", [r["url"]]).fetchone()
        assert row is not None and row[0] == "ok" and row[1] and row[2]
        if r["kind"] == "report" and r.get("cells"):
            assert row[3] and len(row[3]) > 200, r["url"]


def test_datasette_serves_the_archive(trs_archive):
    db, expected = trs_archive
    port = free_port()
    proc = subprocess.Popen(NIANBAO + ["serve", "--db", str(db), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/{Path(db).stem}/reports.json?_shape=array&_size=max"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    rows = json.load(resp)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("Datasette did not answer")
        assert {r["url"] for r in rows} >= {r["url"] for r in expected}
    finally:
        proc.terminate()
        proc.wait(10)


def test_demo_builds_an_archive_and_exits(tmp_path):
    """The demo crawls the farm, lets it publish edition 1 and crawls again: the archive must agree
    with the farm's ground truth on what changed, and the printed history must say so."""
    import sqlite3
    db = tmp_path / "demo.db"
    out = subprocess.run(NIANBAO + ["demo", "--no-serve", "--db", str(db)], capture_output=True,
                         text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout[out.stdout.index("{"):])
    assert summary["portals"] >= 6 and summary["reports"] >= 150
    assert summary["captures"] >= summary["reports"]
    assert "crawl progress:" in out.stderr and "crawl done:" in out.stderr   # the demo passes --progress
    history, truth = summary["history"], summary["history"]["farm_changes"]
    assert [len(truth[k]) for k in ("edited", "added", "deleted", "corrected")] == [1, 1, 1, 1]
    assert history["crawl_runs"] == 2
    # new versions: the edited report's and the two new reports (the added one and the 更正)
    assert (history["versions_added"], history["reports_new"], history["corrections_new"],
            history["reports_changed"], history["reports_gone"]) == (3, 2, 1, 1, 1)

    conn = sqlite3.connect(db)

    def report(url):
        rows = conn.execute("SELECT r.id, r.gone_at FROM reports r WHERE r.url = ? OR r.id IN "
                            "(SELECT report_id FROM report_urls WHERE url = ?)", [url, url]).fetchall()
        assert len(rows) == 1, (url, rows)
        return rows[0]

    # exactly the edited report changed: P-CHANGED warns on it and report_figures says `changed`
    (edited,) = truth["edited"]
    rid = report(edited)[0]
    assert conn.execute("SELECT report_id FROM report_figures WHERE changed = 1").fetchall() == [(rid,)]
    warned = conn.execute("SELECT DISTINCT report_id FROM checks WHERE check_id = 'P-CHANGED'"
                          " AND status = 'warn' AND is_current = 1").fetchall()
    assert warned == [(rid,)]
    assert conn.execute("SELECT COUNT(DISTINCT v.sha256) FROM report_versions v WHERE v.report_id = ?",
                        [rid]).fetchone()[0] == 2
    # the new one is archived and live; the deleted one is kept, marked gone (its page answers 404:
    # see test_the_farms_deleted_report_answers_404), and it is the only one gone
    (added,) = truth["added"]
    assert report(added)[1] is None
    (deleted,) = truth["deleted"]
    gone_id, gone_at = report(deleted)
    assert gone_at is not None
    assert conn.execute("SELECT id FROM reports WHERE gone_at IS NOT NULL").fetchall() == [(gone_id,)]
    # the 更正 supersedes the original it corrects: one counted edition for that agency-year, the
    # correction's (balanced) table 三, while the original still fails T3-BAL as printed
    (fixed,) = truth["corrected"]
    fix_id = report(fixed)[0]
    key, year = conn.execute("SELECT agency_key, report_year FROM reports WHERE id = ?", [fix_id]).fetchone()
    rows = conn.execute("SELECT f.report_id, f.counted, r.kind FROM report_figures f JOIN reports r ON r.id = f.report_id"
                        " WHERE r.agency_key = ? AND r.report_year = ? ORDER BY f.report_id", [key, year]).fetchall()
    assert sorted(k for _, _, k in rows) == ["correction", "report"]
    assert [(rid, kind) for rid, counted, kind in rows if counted] == [(fix_id, "correction")]
    (orig_id,) = [rid for rid, _, kind in rows if kind == "report"]
    failing = {rid for (rid,) in conn.execute("SELECT report_id FROM checks WHERE check_id = 'T3-BAL' AND is_current = 1"
                                              " AND status = 'fail' AND report_id IN (?, ?)", [orig_id, fix_id])}
    assert failing == {orig_id}


def test_the_farms_deleted_report_answers_404():
    """The evidence a crawl has that a report was taken down: its own page answers 404 in edition 1."""
    import urllib.error
    with Farm(port=0, warm=False) as farm:
        farm.set_edition(1)
        (deleted,) = farm.manifest()["changes"]["deleted"]
        from urllib.parse import urlsplit
        parts = urlsplit(deleted)
        req = urllib.request.Request(f"http://127.0.0.1:{farm.port}{parts.path}", headers={"Host": parts.netloc})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        assert err.value.code == 404
        farm.set_edition(0)
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200
