"""A crawl of the real-documents portal (farm/portals/realdocs.py): a real WPS PDF, LibreOffice
Word-like PDFs, a scan without a text layer, a page whose tables are pictures and a 图解 poster,
each read into the archive and compared cell by cell with what was printed or drawn."""
from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from farm import Farm, scans
from farm.portals import realdocs
from tests.crawl_helpers import NIANBAO, ROOT, crawl, q, write_registry

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(scans.FONT_PATH).exists(), reason="CJK font of `make setup` missing")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("realdocs")
    with Farm(port=0, warm=False) as farm:
        realdocs.portal_of(farm).warm()
        registry = write_registry(tmp / "realdocs.yml", realdocs.sources(farm))
        db = tmp / "real.db"
        crawl(db, registry, timeout=1200)
        truth = realdocs.manifest(farm)["realdocs"]
        scan = next(t for t in truth if t["key"] == "scanned_pdf")
        data = realdocs.portal_of(farm).files()[scan["file"]][0]
    # `nianbao extract URL` of the scan, served on 127.0.0.1 by a plain HTTP server
    server = ThreadingHTTPServer(("127.0.0.1", 0), _serving(data))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cli = subprocess.run(NIANBAO + ["extract", "--json", f"http://127.0.0.1:{server.server_port}/scan.pdf"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    yield {"db": db, "truth": truth, "cli": cli, "scan": scan}


def _serving(data: bytes):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass
    return Handler


def _report(db, url):
    rows = q(db, "SELECT id, kind, agency, report_year, current_version_id FROM reports WHERE url = ?", [url])
    assert len(rows) == 1, (url, rows)
    return rows[0]


def _cells(db, version_id):
    return {(t, r, c): (v, sem, src, conf) for t, r, c, v, sem, src, conf in q(
        db, "SELECT tbl, row_key, col_key, value, semantic, source, confidence FROM cells WHERE version_id = ?",
        [version_id])}


def test_every_document_is_a_report_of_its_agency_and_year(run):
    for t in run["truth"]:
        _, kind, agency, year, _ = _report(run["db"], t["url"])
        assert (kind, year) == (t["kind"], t["report_year"]), t["key"]
        assert agency == t["agency"], (t["key"], agency)


@pytest.mark.parametrize("key", ["wps_real", "wordlike-2021-split", "wordlike-2021-collapsed", "wordlike-2021-blank"])
def test_text_layer_pdfs_every_cell(run, key):
    t = next(t for t in run["truth"] if t["key"] == key)
    *_, vid = _report(run["db"], t["url"])
    got = _cells(run["db"], vid)
    want = {(a, b, c): v for a, b, c, v in t["cells"]}
    diffs = [(k, v, got.get(k)) for k, v in want.items() if k not in got or got[k][0] != v]
    assert diffs == [] and set(got) == set(want), diffs[:10]
    for k, v in want.items():   # a blank is EMPTY, never 0; nothing read by OCR here
        assert (got[k][1] == "EMPTY") == (v is None) and got[k][2] is None, k


@pytest.mark.parametrize("key", ["scanned_pdf", "picture_tables"])
def test_ocr_tables_read_and_every_wrong_cell_flagged(run, key):
    """≥ 99% of the drawn cells read right; each wrong one is below the confidence threshold or
    fails a table check, never silently trusted."""
    from pipelines.extract import ocr
    t = next(t for t in run["truth"] if t["key"] == key)
    rid, _, _, _, vid = _report(run["db"], t["url"])
    got = _cells(run["db"], vid)
    want = {(a, b, c): v for a, b, c, v in t["cells"]}
    # OCR stops starting pages after OCR_MAX_SECONDS of wall time: on a machine busy with other
    # work a scan may be cut short. That must be said (ocr_capped), and what was read still right.
    warnings = [w for (ws,) in q(run["db"], "SELECT json_extract(document, '$.warnings') FROM report_versions "
                                            "WHERE report_id = ?", [rid]) for w in json.loads(ws or "[]")]
    if any(w.get("code") == "ocr_capped" for w in warnings):
        want = {k: v for k, v in want.items() if k[0] in {g[0] for g in got}}
    else:
        assert {k[0] for k in got} == {"t2", "t3", "t4"}   # the pictures' tables together (one per <img>)
    right = [k for k, v in want.items() if k in got and got[k][0] == v]
    assert len(right) >= 0.99 * len(want), (len(right), len(want))
    assert all(src == "ocr" and 0 <= conf <= 1 for _, _, src, conf in got.values())
    failing = {c for (c,) in q(run["db"], "SELECT check_id FROM checks WHERE report_id = ? AND is_current = 1"
                                          " AND status = 'fail'", [rid])}
    for k in set(want) - set(right):
        assert k not in got or got[k][3] < ocr.OCR_MIN_CONFIDENCE or failing, (k, want[k], got.get(k))


def test_tujie_is_a_graphic_never_counted(run):
    t = next(t for t in run["truth"] if t["kind"] == "graphic")
    rid, kind, *_ = _report(run["db"], t["url"])
    assert kind == "graphic"
    assert q(run["db"], "SELECT counted FROM report_figures WHERE report_id = ?", [rid]) == [(0,)]
    text = q(run["db"], "SELECT group_concat(text, ' ') FROM attachments WHERE report_id = ?", [rid])[0][0] or ""
    assert all(str(n) in text for n in t["numbers"].values()), text[:300]


def test_run_complete_and_every_file_archived(run):
    assert q(run["db"], "SELECT status FROM crawl_runs") == [("finished",)]
    files = {t["file_url"] for t in run["truth"] if "file_url" in t}
    fetched = {u for (u,) in q(run["db"], "SELECT url FROM captures WHERE outcome = 'ok'")}
    assert files <= fetched


def test_extract_cli_reads_the_scan(run):
    cli = run["cli"]
    assert cli.returncode == 0, cli.stderr[-2000:]
    doc = json.loads(cli.stdout)
    want = {(a, b, c): v for a, b, c, v in run["scan"]["cells"]}
    got = {(c["table"], c["row"], c["col"]): c["value"] for c in doc["cells"]}
    assert sum(got.get(k, "missing") == v for k, v in want.items()) >= 0.99 * len(want)
    assert all(c.get("source") == "ocr" for c in doc["cells"])


def test_report_page_marks_ocr_cells_and_links_the_picture(run):
    """An OCR'd cell is drawn apart from a printed one, with its confidence and a link to the
    archived picture it was read from; a low-confidence cell is marked as such."""
    from lxml import html as lxml_html

    from archive import figures
    from archive.serve import background
    from tests.test_datasette_site import get
    t = next(t for t in run["truth"] if t["key"] == "picture_tables")
    rid, *_, vid = _report(run["db"], t["url"])
    figures.refresh(run["db"])
    with background(run["db"], ROOT / "metadata.yml") as base:
        status, _, body = get(f"{base}/-/report/{rid}")
        assert status == 200
        page = lxml_html.fromstring(body.decode("utf-8"))
        tds = page.cssselect("table.official td.ocr")
        links = {a.get("href") for a in page.cssselect("td.ocr sup.ocr-mark a")}
        assert len(tds) == len(_cells(run["db"], vid)) and len(links) == 3   # one picture per table
        assert all("OCR" in td.get("title") and "置信度" in td.get("title") for td in tds)
        low = {round(conf, 2) for *_, conf in _cells(run["db"], vid).values() if conf < 0.9}
        assert len(page.cssselect("td.ocr-low")) == sum(
            1 for *_, conf in _cells(run["db"], vid).values() if conf < 0.9), low
        pic_status, headers, pic = get(base + sorted(links)[0])
        assert pic_status == 200 and pic[:8] == b"\x89PNG\r\n\x1a\n"
