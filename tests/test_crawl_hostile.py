"""A real crawl of the hostile portal (farm/portals/hostile.py): its ordinary reports are archived;
nothing it points at off its own site, on the crawler's machine or on another scheme is fetched —
each of those is a capture with outcome `off_scope` and its reason — and the crawl ends."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from farm import Farm
from farm.portals import hostile
from tests.crawl_helpers import crawl, q, report_by_url, write_registry

pytestmark = pytest.mark.slow


class _Secret(BaseHTTPRequestHandler):
    """A service on the crawler's machine that must never be reached."""
    def do_GET(self):
        self.server.hits.append(self.path)
        body = b"SECRET " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf" if self.path.endswith(".pdf") else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    secret = ThreadingHTTPServer(("127.0.0.1", 0), _Secret)
    secret.hits = []
    threading.Thread(target=secret.serve_forever, daemon=True).start()
    try:
        with Farm(port=0) as farm:
            hostile.portal_of(farm).secret_port = secret.server_address[1]
            sources = hostile.sources(farm)
            registry = write_registry(tmp / "hostile.yml", sources)
            db = tmp / "archive.db"
            # a hang (the old `ftp://` entry) fails here instead of blocking the suite
            crawl(db, registry, timeout=240)
            yield {"db": db, "manifest": hostile.manifest(farm), "hits": list(secret.hits),
                   "port": secret.server_address[1]}
    finally:
        secret.shutdown()
        secret.server_close()


def test_crawl_finished(hostile_run):
    assert q(hostile_run["db"], "SELECT status FROM crawl_runs") == [("finished",)]


def test_ordinary_reports_archived(hostile_run):
    m, db = hostile_run["manifest"], hostile_run["db"]
    assert len(m["reports"]) == 3
    got = report_by_url(db)
    assert [r["url"] for r in m["reports"]
            if got.get(r["url"]) != (r["agency"], r["report_year"], r["kind"])] == []
    atts = dict(q(db, "SELECT url, sha256 FROM attachments"))
    expected = [a for r in m["reports"] for a in r["attachments"]]
    assert expected and [a["url"] for a in expected if atts.get(a["url"]) != a["sha256"]] == []


def test_nothing_reached_the_secret_service(hostile_run):
    assert hostile_run["hits"] == []


def test_no_ok_capture_off_the_portal(hostile_run):
    bad = []
    for url, final in q(hostile_run["db"], "SELECT url, final_url FROM captures WHERE outcome = 'ok'"):
        for u in filter(None, (url, final)):
            parts = urlsplit(u)
            if parts.scheme not in ("http", "https") or parts.hostname in ("127.0.0.1", "localhost", "example.com"):
                bad.append(u)
    assert bad == []
    # example.com was refused before any DNS or robots.txt request: no capture of it but the refusal
    rows = q(hostile_run["db"], "SELECT url, outcome FROM captures WHERE url LIKE '%example.com%'")
    assert rows == [("http://example.com/", "off_scope")]


def test_refusals_recorded_with_reasons(hostile_run):
    db, port = hostile_run["db"], hostile_run["port"]
    got = {url: error for url, error in q(db, "SELECT url, error FROM captures WHERE outcome = 'off_scope'")}
    secret = f"http://127.0.0.1:{port}"
    want = {
        f"{secret}/secret.html": f"redirect to {secret}/secret.html leaves source farm-hostile",
        f"http://localhost:{port}/secret.html": f"redirect to http://localhost:{port}/secret.html leaves source",
        "http://example.com/": "redirect to http://example.com/ leaves source farm-hostile",
        f"{secret}/secret.pdf": f"link to {secret}/secret.pdf leaves source farm-hostile",
        f"{secret}/listed.html": f"link to {secret}/listed.html leaves source farm-hostile",
        "file:///etc/hostname": "scheme file not allowed",
        "ftp://127.0.0.1/x.pdf": "scheme ftp not allowed",
    }
    missing = {u: r for u, r in want.items() if r not in (got.get(u) or "")}
    assert missing == {}, got
    # a refused redirect names the listed URL it came from
    base = next(h["url"] for h in hostile_run["manifest"]["hostile"] if h["key"] == "away-redirect")
    assert got["http://example.com/"].endswith(f"(from {base})")
    data = [e for u, e in got.items() if u.startswith("data:")]
    assert len(data) == 1 and "scheme data not allowed" in data[0]
    assert all(e.startswith("OffScope: ") for e in got.values())
    # refused requests carry no body
    assert q(db, "SELECT COUNT(*) FROM captures WHERE outcome = 'off_scope' AND (sha256 IS NOT NULL"
                 " OR warc_file IS NOT NULL)") == [(0,)]


def test_nothing_refused_is_stored(hostile_run):
    db, m = hostile_run["db"], hostile_run["manifest"]
    ordinary = {r["url"] for r in m["reports"]}
    reports = {u for (u,) in q(db, "SELECT url FROM reports")} | {u for (u,) in q(db, "SELECT url FROM report_urls")}
    assert reports - ordinary == set()
    refused = {u for (u,) in q(db, "SELECT url FROM captures WHERE outcome = 'off_scope'")}
    atts = {u for (u,) in q(db, "SELECT url FROM attachments")}
    assert not refused & atts and not refused & reports
    for h in m["hostile"]:
        assert h["url"] not in reports, h["key"]
    assert not any("SECRET" in (d or "") for (d,) in q(db, "SELECT document FROM version_documents"))


# ---------------------------------------------------------------- a look-alike on another site
VICTIM_HOST = "www.trs-shtml.gov.cn.test"


@pytest.fixture(scope="module")
def lookalike_run(tmp_path_factory):
    """A TRS county portal and another site of the same county (hostile.LookalikePortal) that
    lists a page titled exactly like the county government's 2023 report, with other numbers."""
    tmp = tmp_path_factory.mktemp("lookalike")
    with Farm(port=0) as farm:
        victim = farm.by_host[VICTIM_HOST]
        entry = next(e for e in victim.live() if e.kind == "report" and e.unit_type == "gov"
                     and e.report_year == 2023)
        title = victim.title(entry)
        real_url = victim.base() + victim.detail_path(entry)
        sources = victim.sources() + hostile.add_lookalike(farm, title, victim.region)
        db = tmp / "archive.db"
        crawl(db, write_registry(tmp / "lookalike.yml", sources), timeout=300)
        yield {"db": db, "real": real_url, "fake": farm.by_host[hostile.LOOKALIKE_HOST].lookalike_url(),
               "title": title}


def _report_of(db, url):
    (rid,), = q(db, "SELECT report_id FROM report_urls WHERE url = ?", [url])
    return rid


def test_a_look_alike_does_not_become_the_agencys_report(lookalike_run):
    db, real, fake = lookalike_run["db"], lookalike_run["real"], lookalike_run["fake"]
    assert q(db, "SELECT status FROM crawl_runs") == [("finished",)]
    rid, fid = _report_of(db, real), _report_of(db, fake)
    assert rid != fid
    # the look-alike really collides: the same agency key, year and kind, on another source
    rows = dict((i, rest) for i, *rest in q(
        db, "SELECT id, source_id, agency_key, report_year, kind, edition_of FROM reports WHERE id IN (?, ?)",
        [rid, fid]))
    assert rows[rid] == ["farm-trs-shtml", "白沙县政府", 2023, "report", None]
    assert rows[fid] == ["farm-lookalike", "白沙县政府", 2023, "report", None]
    # the agency's report keeps its one version, from its own URL, and P-CHANGED passes
    assert q(db, "SELECT c.url FROM report_versions v JOIN captures c ON c.id = v.capture_id"
                 " WHERE v.report_id = ? AND v.part = 'page'", [rid]) == [(real,)]
    assert q(db, "SELECT url FROM report_urls WHERE report_id = ?", [rid]) == [(real,)]
    changed = q(db, "SELECT k.status FROM checks k JOIN reports r ON r.id = k.report_id"
                    " AND k.version_id = r.current_version_id WHERE k.is_current = 1"
                    " AND k.check_id = 'P-CHANGED' AND r.id = ?", [rid])
    assert changed and {s for (s,) in changed} == {"pass"}
    # nor is it compared with the look-alike as an edition
    assert q(db, "SELECT COUNT(*) FROM checks WHERE report_id = ? AND check_id = 'P-DUPLICATE'"
                 " AND scope LIKE ?", [rid, f"%{fake}%"]) == [(0,)]
