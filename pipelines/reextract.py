"""Re-extraction: re-run extraction and checks from the WARC records, without network.

For every current version (page or attachment part) made by an older extractor, the capture's
bytes are read back from its WARC record (and verified against captures.sha256), extracted
again in bounded worker processes (pipelines/bounded.py: a time and memory limit per document,
so a hostile file ends as a counted error instead of a hung run), and written by this one
process as a new version tied to the same capture; the old rows stay, marked not current.
Reports whose checks were made by an older CHECKS_VERSION get their checks re-run. A second
run finds nothing stale and changes no row.

This module only orchestrates: list stale (archive.rework) → read WARC (archive.warc) →
extract in bounded workers → settle identity (nianbao.identity) → write (archive.rework, one
transaction per version) → derive (archive.derive) → report_figures (archive.figures).
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from archive import derive, figures, rework, store
from archive.checks import tables
from archive.schema import open_db
from archive.tx import transaction
from archive.warc import read_record, sha256
from nianbao import identity
from pipelines.bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, FAILURE_CODES, BoundedExtractor
from pipelines.extract.document import extract_document


def _current_extractor() -> str:
    from pipelines.extract import document
    return document.EXTRACTOR_VERSION  # read at call time: tests bump it with monkeypatch


def _read(warc_dir: Path, row: rework.StaleVersion) -> tuple[bytes | None, dict, str | None]:
    """The capture's bytes and headers from its WARC record, verified: (body, headers, error)."""
    try:
        rec = read_record(str(warc_dir), row.warc_file, row.warc_offset, row.warc_length)
    except Exception as e:  # noqa: BLE001 - reported in the stats, the run goes on
        return None, {}, f"read: {type(e).__name__}: {e}"
    if row.sha256 and sha256(rec.body) != row.sha256:
        return None, {}, "sha256 of the WARC payload differs from captures.sha256"
    headers = {k.lower(): v for k, v in (json.loads(row.headers or "[]") or rec.headers)}
    return rec.body, headers, None


async def _extract_all(rows, warc_dir: Path, bounded: BoundedExtractor, inflight: int, handle) -> None:
    """Read and extract every row, at most `inflight` documents (their bytes) at a time;
    `handle(row, doc, error)` is called in this process as each one finishes."""
    todo = iter(rows)

    async def lane():
        for row in todo:   # one shared iterator: each row is taken by one lane
            data, headers, err = _read(warc_dir, row)
            if err:
                handle(row, None, err)
                continue
            doc = await bounded.extract(data, row.final_url or row.url, headers)
            handle(row, doc, None)

    await asyncio.gather(*(lane() for _ in range(max(1, inflight))))


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
              warc_dir: str | Path | None = None, extractor=None,
              timeout: float = DEFAULT_TIMEOUT_S, memory_mb: int | None = DEFAULT_MEMORY_MB) -> dict:
    """Re-extract stale versions of the archive at `db_path`; returns counters.

    `processes` bounded extraction workers (pipelines/bounded.py: each document gets `timeout`
    seconds and `memory_mb` MB; spawned, so `extractor` must be a module-level function);
    one writer (this process). `extractor(data, url, headers) -> dict` defaults to
    pipelines.extract.document. A document whose worker ran out of time or memory (or died) is
    counted in `errors` with its reason and not written: its old version stays current, and
    the next run tries it again. A document the extractor itself refused (e.g. `zip_bomb`) is
    an extraction result like any other and is written.
    """
    db_path = Path(db_path)
    warc_dir = Path(warc_dir) if warc_dir else db_path.parent / "warc"
    db = open_db(db_path)
    conn = db.conn
    current = _current_extractor()
    checks_version = tables.CHECKS_VERSION   # read at call time: tests bump it with monkeypatch
    rows = rework.stale_versions(conn, current, since_version)
    stats = {"extractor_version": current, "checks_version": checks_version, "stale": len(rows),
             "reextracted": 0, "errors": 0, "checks_rerun": 0, "error_samples": []}

    def handle(row: rework.StaleVersion, doc: dict | None, err: str | None) -> None:
        if err is None and (doc.get("error") or {}).get("code") in FAILURE_CODES:
            err = f"{doc['error']['code']}: {doc['error'].get('message')}"
        if err:
            stats["errors"] += 1
            if len(stats["error_samples"]) < 10:
                stats["error_samples"].append(f"version {row.version_id}: {err}")
            return
        # The version this run re-extracts for (workers are spawned: they do not see a version
        # bumped in this process, and they run the same code).
        doc["extractor_version"] = current
        _write(conn, row, doc)
        stats["reextracted"] += 1

    if rows:
        bounded = BoundedExtractor(processes=max(1, processes), timeout=timeout, memory_mb=memory_mb,
                                   function=extractor or extract_document)
        try:
            # Two documents per worker in flight: one extracting, one read and waiting.
            asyncio.run(_extract_all(rows, warc_dir, bounded, 2 * max(1, processes), handle))
        finally:
            bounded.close()
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
