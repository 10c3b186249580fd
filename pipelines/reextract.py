"""Re-extraction: re-run extraction and checks from the WARC records, without network.

For every current version (page or attachment part) made by an older extractor, the capture's
bytes are read back from its WARC record (and verified against captures.sha256), extracted
again in worker processes, and written by this one process as a new version tied to the same
capture; the old rows stay, marked not current. Reports whose checks were made by an older
CHECKS_VERSION get their checks re-run. A second run finds nothing stale and changes no row.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import re
from pathlib import Path

from archive.checks import CHECKS_VERSION, refresh_report
from nianbao import identity
from archive.schema import open_db
from archive.warc import read_record, sha256


def _vtuple(v: str | None) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", v or ""))


def _current_extractor() -> str:
    from pipelines.extract import document
    return document.EXTRACTOR_VERSION  # read at call time: tests bump it with monkeypatch


def _default_extract(data: bytes, url: str, headers: dict) -> dict:
    from pipelines.extract import document
    return document.extract_document(data, url, headers)


def stale_versions(conn, current: str, since_version: str | None = None) -> list[tuple]:
    """Current versions to re-extract: made by another extractor than `current` (and, with
    `since_version`, only those made by extractors older than it)."""
    rows = conn.execute(
        "SELECT v.id, v.report_id, v.part, v.attachment_id, v.capture_id, v.seen_at, "
        "v.extractor_version, c.url, c.final_url, c.headers, c.sha256, c.warc_file, "
        "c.warc_offset, c.warc_length FROM report_versions v JOIN captures c ON c.id = v.capture_id "
        "WHERE v.is_current = 1 AND v.extractor_version != ? AND c.warc_file IS NOT NULL "
        "ORDER BY v.id", [current]).fetchall()
    if since_version:
        limit = _vtuple(since_version)
        rows = [r for r in rows if _vtuple(r[6]) < limit]
    return rows


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


def _write(db, row: tuple, doc: dict) -> None:
    from archive import store
    vid, rid, part, att_id, cap_id, seen_at = row[:6]
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        if part == "attachment":
            conn.execute("UPDATE attachments SET text = ?, doc_type = ?, extractable = ?, error = ? "
                         "WHERE id = ?", [doc.get("body_text"), doc.get("doc_type"),
                                          0 if doc.get("error") else 1,
                                          json.dumps(doc["error"], ensure_ascii=False)
                                          if doc.get("error") else None, att_id])
            store.store_attachment_version(conn, rid, att_id, cap_id, doc, seen_at, force=True)
        else:
            # The same identity rule as the crawl, from what the crawl saw (kept with the version).
            seen, was = store.version_seen(conn, vid, rid)
            ident = identity.settle(seen, doc)
            doc = {**doc, "title": ident.title, "agency": ident.agency, "report_year": ident.report_year,
                   "published": ident.published, "seen": seen.to_json()}
            store.write_version(db, report_id=rid, capture_id=cap_id, doc=doc, seen_at=seen_at,
                                sha=row[10])
            meta = {"title": ident.title, "agency": ident.agency, "agency_key": ident.agency_key,
                    "report_year": ident.report_year, "published": ident.published,
                    "format": doc.get("format")}
            if was:  # archives crawled before `seen` was kept cannot re-decide the kind
                meta["kind"] = ident.kind
            sets = {k: v for k, v in meta.items() if v is not None}
            conn.execute(f"UPDATE reports SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                         [*sets.values(), rid])
            store.settle_current(conn, rid)
            refresh_report(conn, rid)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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
    rows = stale_versions(conn, current, since_version)
    by_id = {r[0]: r for r in rows}
    jobs = [(r[0], str(warc_dir), r[11], r[12], r[13], r[8] or r[7], r[9], r[10], extractor)
            for r in rows]
    stats = {"extractor_version": current, "checks_version": CHECKS_VERSION, "stale": len(rows),
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
            _write(db, by_id[vid], doc)
            stats["reextracted"] += 1
    finally:
        if pool:
            pool.close()
            pool.join()
    # Checks made by an older checks version are re-run even where the extraction is current.
    for (rid,) in conn.execute(
            "SELECT DISTINCT report_id FROM checks WHERE is_current = 1 AND check_version != ?",
            [CHECKS_VERSION]).fetchall():
        conn.execute("BEGIN IMMEDIATE")
        try:
            refresh_report(conn, rid)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        stats["checks_rerun"] += 1
    conn.close()
    if stats.get("reextracted") or stats.get("checks_rerun"):
        from archive import figures
        figures.refresh(db_path)
    return stats
