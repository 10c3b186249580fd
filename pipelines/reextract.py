"""Re-extraction: re-run extraction and checks from the WARC records, without network.

For every current version (page or attachment part) made by an older extractor, the capture's
bytes are read back from its WARC record (and verified against captures.sha256), extracted
again in worker processes, and written by this one process as a new version tied to the same
capture; the old rows stay, marked not current. Reports whose checks were made by an older
CHECKS_VERSION get their checks re-run. A second run finds nothing stale and changes no row.

This module only orchestrates: list stale (archive.rework) → read WARC (archive.warc) →
extract in worker processes → settle identity (nianbao.identity) → write (archive.rework, one
transaction per version) → derive (archive.derive) → report_figures (archive.figures).
"""
from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

from archive import derive, figures, rework, store
from archive.checks import tables
from archive.schema import open_db
from archive.tx import transaction
from archive.warc import read_record, sha256
from nianbao import identity


def _current_extractor() -> str:
    from pipelines.extract import document
    return document.EXTRACTOR_VERSION  # read at call time: tests bump it with monkeypatch


def _default_extract(data: bytes, url: str, headers: dict) -> dict:
    from pipelines.extract import document
    return document.extract_document(data, url, headers)


def _work(args) -> tuple:
    """Worker: read the record, verify its digest, extract. Returns (version_id, doc|None, error)."""
    (vid, warc_dir, file, offset, length, url, headers_json, want_sha, extractor) = args
    try:
        rec = read_record(warc_dir, file, offset, length)
    except Exception as e:  # noqa: BLE001 - reported in the stats, the run goes on
        return vid, None, f"read: {type(e).__name__}: {e}"
    if want_sha and sha256(rec.body) != want_sha:
        return vid, None, "sha256 of the WARC payload differs from captures.sha256"
    headers = {k.lower(): v for k, v in (json.loads(headers_json or "[]") or rec.headers)}
    try:
        return vid, (extractor or _default_extract)(rec.body, url, headers), None
    except Exception as e:  # noqa: BLE001
        return vid, None, f"extract: {type(e).__name__}: {e}"


def _write(conn, row: rework.StaleVersion, doc: dict) -> None:
    with transaction(conn):
        if row.part == "attachment":
            rework.rewrite_attachment(conn, row, doc)
        else:
            # The same identity rule as the crawl, from what the crawl saw (kept with the version).
            seen, kept = store.version_seen(conn, row.version_id, row.report_id)
            rework.rewrite_page_version(conn, row, doc, identity.settle(seen, doc), seen,
                                        decide_kind=kept)


def reextract(db_path: str | Path, since_version: str | None = None, processes: int = 2,
              warc_dir: str | Path | None = None, extractor=None) -> dict:
    """Re-extract stale versions of the archive at `db_path`; returns counters.

    `processes` extraction workers (1 = in this process); one writer (this process).
    `extractor(data, url, headers) -> dict` defaults to pipelines.extract.document.
    """
    db_path = Path(db_path)
    warc_dir = Path(warc_dir) if warc_dir else db_path.parent / "warc"
    db = open_db(db_path)
    conn = db.conn
    current = _current_extractor()
    checks_version = tables.CHECKS_VERSION   # read at call time: tests bump it with monkeypatch
    rows = rework.stale_versions(conn, current, since_version)
    by_id = {r.version_id: r for r in rows}
    jobs = [(r.version_id, str(warc_dir), r.warc_file, r.warc_offset, r.warc_length,
             r.final_url or r.url, r.headers, r.sha256, extractor) for r in rows]
    stats = {"extractor_version": current, "checks_version": checks_version, "stale": len(rows),
             "reextracted": 0, "errors": 0, "checks_rerun": 0, "error_samples": []}
    if processes <= 1 or len(jobs) <= 1:
        results = map(_work, jobs)
        pool = None
    else:
        pool = mp.get_context("fork").Pool(processes)
        results = pool.imap_unordered(_work, jobs, chunksize=4)
    try:
        for vid, doc, err in results:
            if err:
                stats["errors"] += 1
                if len(stats["error_samples"]) < 10:
                    stats["error_samples"].append(f"version {vid}: {err}")
                continue
            doc.setdefault("extractor_version", current)
            _write(conn, by_id[vid], doc)
            stats["reextracted"] += 1
    finally:
        if pool:
            pool.close()
            pool.join()
    # Derive what the new versions changed first: their checks are then of the current version.
    derived = derive.drain(conn)
    # Checks made by an older checks version are re-run even where the extraction is current.
    stale_checks = rework.reports_with_stale_checks(conn, checks_version)
    if stale_checks:
        with transaction(conn):
            derive.enqueue(conn, stale_checks)
        derived += derive.drain(conn)
    stats["checks_rerun"] = len(stale_checks)
    conn.close()
    if derived:
        figures.refresh(db_path)
    return stats
