"""The missing-report watch (archive/watch.py, `nianbao watch`, `/-/watch`) on a real crawl.

A farm switch withholds the 2023 reports of two agencies of one column (a department and a
town). After a crawl, the watch for 2023 lists exactly those two as overdue, each with the
column capture that did not show it; on a day before their deadline they are pending; for a year
whose deadline came after our last read of the column every agency is unverified. Once the
reports are published and crawled, they appear — caught late by our own evidence. The Datasette
pages (/-/watch, /-/source/<id>) show the same.
"""
from __future__ import annotations

import json
import subprocess

import pytest
from lxml import html as lxml_html

from archive.serve import background
from farm import Farm
from tests.crawl_helpers import NIANBAO, ROOT, crawl, q, write_registry
from tests.test_datasette_site import get

pytestmark = pytest.mark.slow

SOURCE = "farm-trs-shtml"
WITHHELD = ["白沙县教育局", "东湖镇人民政府"]
METADATA = ROOT / "metadata.yml"


def watch(db, *args) -> tuple[int, dict]:
    proc = subprocess.run(NIANBAO + ["watch", "--db", str(db), "--json", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("watch")
    out = {"db": tmp / "archive.db"}
    with Farm(port=0) as farm:
        registry = write_registry(tmp / "reg.yml", [s for s in farm.sources(variants=True) if s["id"] == SOURCE])
        assert farm.set_withheld(SOURCE, WITHHELD, 2023) == sorted(WITHHELD)
        crawl(out["db"], registry)
        out["overdue"] = watch(out["db"], "--year", "2023")
        out["pending"] = watch(out["db"], "--year", "2023", "--now", "2024-01-20T10:00:00+08:00", "--all")
        out["unverified"] = watch(out["db"], "--year", "2026", "--now", "2027-06-01T10:00:00+08:00")
        out["text"] = subprocess.run(NIANBAO + ["watch", "--db", str(out["db"]), "--year", "2023"], cwd=ROOT,
                                     capture_output=True, text=True, timeout=120).stdout
        with background(out["db"], METADATA) as url:
            out["page"] = get(url + "/-/watch?year=2023")
            out["source_page"] = get(url + f"/-/source/{SOURCE}")
            out["no_source"] = get(url + "/-/source/nope")
        farm.set_withheld(SOURCE, WITHHELD, 2023, on=False)
        crawl(out["db"], registry)
        out["published"] = watch(out["db"], "--year", "2023", "--all")
    return out


def test_the_watch_lists_exactly_the_withheld_agencies(archive):
    code, data = archive["overdue"]
    assert code == 1 and data["year"] == 2023
    overdue = {r["agency"]: r for r in data["agencies"] if r["status"] == "overdue"}
    assert set(overdue) == set(WITHHELD)
    assert [r for r in data["agencies"] if r["status"] != "overdue"] == []
    db = archive["db"]
    for r in overdue.values():
        assert r["sources"] == [SOURCE] and r["last_year_seen"] == 2022
        assert r["evidence_reads"] == 1 and len(r["evidence"]) == 1
        ev = r["evidence"][0]
        assert ev["fetched_at"][:10] > r["deadline"]
        (role, outcome, source), = q(db, "SELECT role, outcome, source_id FROM captures WHERE id = ?", [ev["capture_id"]])
        assert (role, outcome, source) == ("list", "ok", SOURCE)
    # the department owes by 1月31日, the town's deadline is assumed the same (条例 names none)
    assert overdue["白沙县教育局"]["deadline"] == "2024-01-31"
    assert "白沙县教育局" in archive["text"] and "overdue" in archive["text"]


def test_before_the_deadline_they_are_pending_and_the_others_appeared(archive):
    code, data = archive["pending"]
    assert code == 0 and data["today"] == "2024-01-20"
    status = {r["agency"]: r["status"] for r in data["agencies"]}
    assert {a for a, s in status.items() if s == "pending"} == set(WITHHELD)
    assert {s for a, s in status.items() if a not in WITHHELD} == {"appeared"} and len(status) == 7


def test_without_a_read_after_the_deadline_nothing_is_proven(archive):
    code, data = archive["unverified"]
    assert code == 0
    assert {r["status"] for r in data["agencies"]} == {"unverified"} and len(data["agencies"]) == 7
    assert all(r["evidence"] == [] for r in data["agencies"])


def test_published_later_the_reports_appear_late_by_our_evidence(archive):
    code, data = archive["published"]
    assert code == 0
    rows = {r["agency"]: r for r in data["agencies"]}
    assert {r["status"] for r in rows.values()} == {"appeared"}
    for a in WITHHELD:
        assert rows[a]["late_observed"] == 1 and rows[a]["late_evidence_capture"] is not None
    assert {rows[a]["late_observed"] for a in rows if a not in WITHHELD} <= {0, None}


def test_the_watch_page_lists_them_with_evidence_links(archive):
    status, _, body = archive["page"]
    assert status == 200
    doc = lxml_html.fromstring(body.decode("utf-8"))
    listed = doc.cssselect("table.watch tr[data-status]")
    assert {r.get("data-status") for r in listed} == {"overdue"} and len(listed) == 2
    names = {r.cssselect("a.agency")[0].text_content() for r in listed}
    assert all(any(w in n for w in WITHHELD) for n in names) and len(names) == 2
    links = [a.get("href") for r in listed for a in r.cssselect("a.evidence")]
    assert len(links) == 2 and all(href.startswith("/-/capture/") for href in links)


def test_the_source_page_shows_its_health_and_captures(archive):
    status, _, body = archive["source_page"]
    assert status == 200
    doc = lxml_html.fromstring(body.decode("utf-8"))
    assert doc.cssselect("[data-status]")[0].get("data-status") == "ok"
    assert len(doc.cssselect("table.source-health tr[data-run]")) == 1
    assert any("captures?source_id=" + SOURCE in (a.get("href") or "") for a in doc.cssselect("a"))
    assert archive["no_source"][0] == 404
