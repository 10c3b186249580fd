"""Screenshots of the published archive: index, a report with a failing check, an agency
across the years, the search, the charts, the overview table.

    python bench/screenshots.py --db data/demo.db --out screenshots/
    python bench/screenshots.py --sample --out screenshots/     # the hand-made sample archive

Starts a real `datasette` process (archive.serve.background) and drives Debian's Chromium.
"""
from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

from archive.serve import background
from crawler import browser as chromium


def pick_report(db: Path) -> int:
    """A report worth showing: one with tables and a failing check if there is one."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = conn.execute(
        "SELECT r.id FROM reports r WHERE EXISTS (SELECT 1 FROM cells c WHERE c.version_id = "
        "r.current_version_id AND c.tbl = 't3') ORDER BY (SELECT COUNT(*) FROM checks k WHERE "
        "k.version_id = r.current_version_id AND k.status = 'fail' AND k.check_id LIKE 'T3%') "
        "DESC, r.id LIMIT 1").fetchone()
    conn.close()
    return row[0] if row else 1


def pick_agency(db: Path) -> str | None:
    """The agency with the most counted years (report_figures.agency_key), for its page."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT agency_key FROM report_figures WHERE counted = 1 AND "
                           "agency_key IS NOT NULL GROUP BY agency_key "
                           "ORDER BY COUNT(*) DESC, agency_key LIMIT 1").fetchone()
    except sqlite3.OperationalError:   # no report_figures: an archive not finished by a crawl
        row = None
    conn.close()
    return row[0] if row else None


def shoot(db: Path, out: Path, metadata: Path | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    report = pick_report(db)
    pages = {"index": "/", "report": f"/-/report/{report}", "charts": "/-/charts",
             "search": "/-/search?q=" + quote("复议"), "overview": "/-/go/overview"}
    agency = pick_agency(db)
    if agency:
        pages["agency"] = "/-/agency/" + quote(agency, safe="/")
    written = []
    with background(db, metadata) as url, sync_playwright() as p:
        browser = p.chromium.launch(**chromium.launch_options())
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in pages.items():
            page.goto(url + path, wait_until="load")
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        browser.close()
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="archive SQLite file (WARCs in warc/ next to it)")
    ap.add_argument("--sample", action="store_true", help="build and shoot the sample archive")
    ap.add_argument("--out", type=Path, default=Path("screenshots"))
    ap.add_argument("--metadata", type=Path, default=None)
    a = ap.parse_args()
    if a.sample or not a.db:
        from archive.datasette import sample
        tmp = Path(tempfile.mkdtemp(prefix="nianbao-shots-"))
        a.db = tmp / "archive.db"
        sample.build(a.db)
    for path in shoot(a.db, a.out, a.metadata):
        print(path)


if __name__ == "__main__":
    main()
