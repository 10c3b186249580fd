"""A real crawl of the bombs portal (farm/portals/bombs.py): every ordinary report and attachment is
archived; each bomb file ends with its error or warning code (docs/report-format.md "Limits");
the gzip bomb and the redirect loop each leave a capture with its reason; the crawl ends in time."""
from __future__ import annotations

import json
import time

import pytest

from farm import Farm
from farm.portals import bombs
from tests.crawl_helpers import crawl, q, report_by_url, write_registry

pytestmark = pytest.mark.slow
pytest.importorskip("reportlab")


@pytest.fixture(scope="module")
def bombs_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bombs")
    with Farm(port=0) as farm:
        bombs.portal_of(farm).warm()   # build the bombs before the clock starts
        registry = write_registry(tmp / "bombs.yml", bombs.sources(farm))
        db = tmp / "archive.db"
        t0 = time.monotonic()
        # a bomb that sinks the crawl fails here (timeout or exit code) instead of blocking the suite
        proc = crawl(db, registry, timeout=240)
        yield {"db": db, "manifest": bombs.manifest(farm), "elapsed": time.monotonic() - t0,
               "stderr": proc.stderr}


def test_crawl_finished_complete(bombs_run):
    assert q(bombs_run["db"], "SELECT status FROM crawl_runs") == [("finished",)]
    assert bombs_run["elapsed"] < 180


def test_ordinary_reports_and_attachments_archived(bombs_run):
    m, db = bombs_run["manifest"], bombs_run["db"]
    assert len(m["reports"]) == 3
    got = report_by_url(db)
    assert [r["url"] for r in m["reports"]
            if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])] == []
    expected = [a for r in m["reports"] for a in r["attachments"]]
    assert sorted(a["filename"].rsplit(".", 1)[1] for a in expected) == ["docx", "pdf", "xlsx"]
    atts = {u: (sha, err) for u, sha, err in q(db, "SELECT url, sha256, error FROM attachments")}
    assert [a["url"] for a in expected if atts.get(a["url"]) != (a["sha256"], None)] == []
    # their tables were read: each ordinary report has cells
    with_cells = {u for (u,) in q(db, "SELECT DISTINCT r.url FROM cells c JOIN reports r ON r.id = c.report_id")}
    assert {r["url"] for r in m["reports"]} <= with_cells


def _code(text: str | None) -> str | None:
    return json.loads(text)["code"] if text else None


def test_each_bomb_file_has_its_code(bombs_run):
    db = bombs_run["db"]
    files = [b for b in bombs_run["manifest"]["bombs"] if "code" in b]
    assert len(files) == 5
    for b in files:
        if b["listed_as"] == "page":   # the report page is archived; its attachment is refused
            assert b["url"] in report_by_url(db), b["key"]
            rows = q(db, "SELECT error FROM attachments WHERE url = ?", [b["file_url"]])
            assert [_code(e) for (e,) in rows] == [b["code"]], b["key"]
            assert b["severity"] == "error"
        else:                          # the listed file is the report: the code is in its version
            rows = q(db, "SELECT v.error, v.document FROM report_versions v JOIN reports r "
                         "ON r.id = v.report_id WHERE r.url = ?", [b["url"]])
            assert len(rows) == 1, b["key"]
            err, doc = rows[0]
            warnings = [w["code"] for w in json.loads(doc)["warnings"]]
            assert (err, b["code"] in warnings) == (None, True), (b["key"], err, warnings)
    # no worker ran out of time or memory: each bomb was refused by its own limit
    worker = ("extract_timeout", "extract_memory", "extract_worker_died", "extract_error")
    errs = [e for (e,) in q(db, "SELECT error FROM attachments WHERE error IS NOT NULL")]
    errs += [e for (e,) in q(db, "SELECT error FROM report_versions WHERE error IS NOT NULL")]
    assert [e for e in errs if _code(e) in worker] == []


def test_gzip_bomb_is_a_too_large_capture(bombs_run):
    db = bombs_run["db"]
    b = next(b for b in bombs_run["manifest"]["bombs"] if b["key"] == "gzip_bomb")
    rows = q(db, "SELECT outcome, status, error, sha256, warc_file, role FROM captures WHERE url = ?", [b["url"]])
    assert len(rows) == 1
    outcome, status, error, sha, warc, role = rows[0]
    assert (outcome, status, sha, warc, role) == ("too_large", 200, None, None, "detail")
    assert error.startswith("Content-Encoding gzip: ") and "exceeded DOWNLOAD_MAXSIZE" in error
    assert b["url"] not in report_by_url(db)


def test_redirect_loop_is_an_error_capture(bombs_run):
    db = bombs_run["db"]
    b = next(b for b in bombs_run["manifest"]["bombs"] if b["key"] == "redirect_loop")
    first, second = b["loop"]
    rows = q(db, "SELECT url, final_url, outcome, status, error FROM captures WHERE url IN (?, ?)", [first, second])
    assert rows == [(first, second, "error", 302, f"redirect loop: {first} → {second} → {first}")]
    assert first not in report_by_url(db) and second not in report_by_url(db)


def test_every_listed_url_has_a_capture(bombs_run):
    """Nothing the list named vanished without a row."""
    db = bombs_run["db"]
    captured = {u for (u,) in q(db, "SELECT url FROM captures")}
    listed = [r["url"] for r in bombs_run["manifest"]["reports"]] + [b["url"] for b in bombs_run["manifest"]["bombs"]]
    assert [u for u in listed if u not in captured] == []
