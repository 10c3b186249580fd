"""Distributed crawl: a real redis-server, the farm, two worker processes writing one archive.

One crawl of three static farm sources with `--redis … --workers 2`, with the farm throttling
every host (more than 4 requests in any second from us → 403 访问过于频繁) while each worker alone
would be allowed 2.5 requests a second per host: only pacing shared across the workers keeps the
crawl unblocked. Then a second distributed crawl after the farm's edition 1 (edited, added and
deleted reports), which needs the list bookkeeping merged across workers to mark the deleted one.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from archive.warc import read_record, sha256
from farm import Farm
from tests.crawl_helpers import NIANBAO, ROOT, crawl, q, write_registry

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("redis-server") is None,
                                 reason="redis-server is not installed (make setup installs the Debian package)")]

SOURCES = ("farm-trs", "farm-yl", "farm-hw-county")
WORKERS = 2
# Per host: 0.4 s between requests (the pacing interval); the farm allows 4 in any second.
PACED = ["-s", "DOWNLOAD_DELAY=0.4", "-s", "AUTOTHROTTLE_START_DELAY=0.4"]



@pytest.fixture(scope="module")
def dist(redis_url, tmp_path_factory):
    import redis
    tmp = tmp_path_factory.mktemp("distributed")
    with Farm(port=0) as farm:
        farm.set_throttle(rate=4, penalty=2.0, hosts=None)
        sources = [s for s in farm.sources() if s["id"] in SOURCES]
        assert len(sources) == len(SOURCES)
        registry = write_registry(tmp / "farm.yml", sources)
        db = tmp / "archive.db"
        manifest = farm.manifest()
        first = crawl(db, registry, *PACED, "--redis", redis_url, "--workers", str(WORKERS))
        first_log = list(farm.request_log)
        leftover = redis.Redis.from_url(redis_url).keys("nianbao:*")
        farm.set_edition(1)
        edition1 = farm.manifest()
        second = crawl(db, registry, *PACED, "--redis", redis_url, "--workers", str(WORKERS))
        yield {"db": db, "manifest": manifest, "edition1": edition1, "log": first_log, "tmp": tmp,
               "stdout": (first.stdout, second.stdout), "leftover": leftover, "registry": registry}


def _mine(manifest):
    return [r for r in manifest["reports"] if r["portal"] in SOURCES]


def _report_ids(db, url):
    return {i for (i,) in q(db, "SELECT report_id FROM report_urls WHERE url = ? UNION "
                                "SELECT id FROM reports WHERE url = ?", [url, url])}


def test_one_run_row_two_finished_workers(dist):
    runs = q(dist["db"], "SELECT id, status, finish_reason, stats FROM crawl_runs ORDER BY id")
    assert [(r[1], r[2]) for r in runs] == [("finished", "finished")] * 2
    first = runs[0][0]
    workers = q(dist["db"], "SELECT worker, status, warc_file FROM crawl_workers WHERE run_id = ?", [first])
    assert len(workers) == WORKERS
    assert {w[1] for w in workers} == {"finished"}
    assert len({w[0] for w in workers}) == WORKERS and len({w[2] for w in workers}) == WORKERS
    stats = json.loads(runs[0][3])
    assert set(SOURCES) <= set(stats["nianbao/complete_lists"])
    # the coordinator cleared its Redis keys
    assert dist["leftover"] == []


def test_every_report_archived_exactly_once(dist):
    db, reports = dist["db"], _mine(dist["manifest"])
    assert len(reports) > 100
    ids = {}
    for r in reports:
        got = _report_ids(db, r["url"])
        assert len(got) == 1, r["url"]
        ids[r["url"]] = got.pop()
        for dup in r.get("duplicate_urls") or []:
            assert _report_ids(db, dup) in (set(), {ids[r["url"]]}), dup
    assert len(set(ids.values())) == len(reports)     # no two manifest reports merged
    marks = ",".join("?" * len(SOURCES))
    first_run = q(db, "SELECT MIN(id) FROM crawl_runs")[0][0]
    # no report row the manifest does not know (a duplicate row made by a second worker)
    (n,), = q(db, f"SELECT COUNT(*) FROM reports WHERE source_id IN ({marks}) AND id IN "
                  "(SELECT report_id FROM report_versions v JOIN captures c ON c.id = v.capture_id"
                  " WHERE c.run_id = ?)", [*SOURCES, first_run])
    assert n == len(reports)
    atts = dict(q(db, "SELECT url, sha256 FROM attachments"))
    expected = [a for r in reports for a in r["attachments"]]
    assert expected and {a["url"]: a["sha256"] for a in expected if a["url"] in atts} == \
        {a["url"]: a["sha256"] for a in expected}


def test_no_duplicate_versions_or_captures_within_a_run(dist):
    db = dist["db"]
    dup_versions = q(db, "SELECT v.report_id, v.sha256, c.run_id, COUNT(*) FROM report_versions v"
                         " JOIN captures c ON c.id = v.capture_id GROUP BY 1, 2, 3 HAVING COUNT(*) > 1")
    assert dup_versions == []
    dup_captures = q(db, "SELECT run_id, url, sha256, COUNT(*) FROM captures WHERE role != 'robots'"
                         " GROUP BY 1, 2, 3 HAVING COUNT(*) > 1")
    assert dup_captures == []
    # robots.txt is read by each worker for itself: at most once per worker and host
    robots = q(db, "SELECT run_id, url, COUNT(*) FROM captures WHERE role = 'robots' GROUP BY 1, 2")
    assert robots and max(n for _, _, n in robots) <= WORKERS


def test_both_workers_did_work_and_no_capture_row_lost(dist):
    db = dist["db"]
    first_run = q(db, "SELECT MIN(id) FROM crawl_runs")[0][0]
    workers = q(db, "SELECT worker, warc_file, stats FROM crawl_workers WHERE run_id = ?", [first_run])
    per_file = dict(q(db, "SELECT warc_file, COUNT(*) FROM captures WHERE run_id = ? GROUP BY 1", [first_run]))
    counted = 0
    for worker, warc_file, stats in workers:
        stats = json.loads(stats)
        captures = sum(v for k, v in stats.items() if k.startswith("nianbao/outcome/"))
        assert captures > 10, worker
        assert per_file.get(warc_file, 0) > 10, worker      # its own WARC file holds its bytes
        assert stats.get("nianbao/report_versions_new", 0) > 0, worker
        counted += captures
    # every capture a worker counted is a row, and no row comes from nowhere
    assert counted == q(db, "SELECT COUNT(*) FROM captures WHERE run_id = ?", [first_run])[0][0]


def test_archive_integrity_and_warc_bytes(dist):
    db = dist["db"]
    assert q(db, "PRAGMA integrity_check") == [("ok",)]
    assert q(db, "PRAGMA foreign_key_check") == []
    rows = q(db, "SELECT id, final_url, sha256, warc_file, warc_offset, warc_length FROM captures"
                 " WHERE warc_file IS NOT NULL")
    assert len(rows) > 150
    warc_dir = Path(db).parent / "warc"
    urls_of = {}
    for _, final_url, digest, *_ in rows:
        urls_of.setdefault(digest, set()).add(final_url)
    bad = []
    for cid, final_url, digest, f, off, length in rows:
        rec = read_record(warc_dir, f, off, length)
        # identical bytes share one record (content-addressed): its URL is one of theirs
        if sha256(rec.body) != digest or rec.url not in urls_of[digest]:
            bad.append(cid)
    assert bad == []
    # content-addressed: a worker never writes the same bytes twice into its WARC file (two
    # workers fetching identical bytes at the same instant may each write them: both records valid)
    twice = q(db, "SELECT sha256, rendered, warc_file FROM captures WHERE warc_file IS NOT NULL"
                  " GROUP BY 1, 2, 3 HAVING COUNT(DISTINCT warc_offset) > 1")
    assert twice == []


def test_politeness_holds_across_workers(dist):
    db = dist["db"]
    # the farm throttles > 4 requests/s per host; two unpaced workers at 2.5/s each would trip it
    assert q(db, "SELECT url, error FROM captures WHERE outcome = 'blocked'") == []
    assert q(db, "SELECT id FROM sources WHERE blocked_at IS NOT NULL") == []
    throttled = [r for r in dist["log"] if r["status"] == 403]
    assert throttled == []


def test_second_crawl_edition_changes_across_workers(dist):
    db, changes = dist["db"], dist["edition1"]["changes"]
    assert changes["edited"] and changes["added"] and changes["deleted"]
    gone = {u for (u,) in q(db, "SELECT url FROM reports WHERE gone_at IS NOT NULL")}
    assert set(changes["deleted"]) <= gone
    # nothing else is gone: every report the edition-1 lists still show stays
    live = {r["url"] for r in _mine(dist["edition1"])}
    assert not (gone & live)
    for url in changes["added"]:
        assert len(_report_ids(db, url)) == 1
    for url in changes["edited"]:
        (n,), = q(db, "SELECT COUNT(DISTINCT v.sha256) FROM report_versions v JOIN captures c"
                      " ON c.id = v.capture_id WHERE c.url = ?", [url])
        assert n == 2, url


def test_worker_without_a_crawl_fails_clearly(redis_url, tmp_path):
    registry = write_registry(tmp_path / "r.yml", [])
    proc = subprocess.run(NIANBAO + ["crawl", "--db", str(tmp_path / "a.db"), "--registry", str(registry),
                                     "--redis", redis_url, "--worker"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "no distributed crawl is running" in proc.stderr
