"""Report identity and versions: turning one extracted document into archive rows.

Called inside a transaction by `Archive.store_document` and by re-extraction. Nothing is
overwritten: a changed page becomes a new version, re-extraction with a newer extractor writes
new rows for the same capture and flips `is_current`.
"""
from __future__ import annotations

import json

import sqlite_utils

from archive import checks as checks_engine
from archive.agency import agency_key


def _current_version(db: sqlite_utils.Database, report_id: int):
    return db.execute("SELECT v.id, v.sha256, v.extractor_version FROM reports r "
                      "JOIN report_versions v ON v.id = r.current_version_id WHERE r.id = ?",
                      [report_id]).fetchone()


def store_document(db: sqlite_utils.Database, *, capture_id: int, source_id: str | None, url: str,
                   doc: dict, list_title: str | None, list_date: str | None, kind: str | None,
                   seen_at: str) -> tuple[int, int, bool]:
    sha = db.execute("SELECT sha256 FROM captures WHERE id = ?", [capture_id]).fetchone()[0]
    row = db.execute("SELECT id FROM reports WHERE url = ?", [url]).fetchone()
    meta = {
        "title": doc.get("title") or list_title, "agency": doc.get("agency"),
        "agency_key": agency_key(doc.get("agency")), "report_year": doc.get("report_year"),
        "published": doc.get("published") or list_date, "format": doc.get("format"),
        "kind": kind or doc.get("kind") or "report", "body_text": doc.get("body_text"),
        "list_title": list_title, "list_date": list_date, "last_seen": seen_at,
    }
    if row is None:
        report_id = db["reports"].insert({**meta, "source_id": source_id, "url": url,
                                          "first_seen": seen_at}).last_pk
    else:
        report_id = row[0]
        current = _current_version(db, report_id)
        if current and current[1] == sha and current[2] == doc.get("extractor_version"):
            db["reports"].update(report_id, {"last_seen": seen_at, "gone_at": None})
            return report_id, current[0], False
    version_id = write_version(db, report_id=report_id, capture_id=capture_id, sha=sha, doc=doc,
                               seen_at=seen_at)
    db["reports"].update(report_id, {**meta, "current_version_id": version_id, "gone_at": None})
    checks_engine.run_for_version(db, report_id, version_id, doc)
    return report_id, version_id, True


def write_version(db: sqlite_utils.Database, *, report_id: int, capture_id: int, sha: str,
                  doc: dict, seen_at: str) -> int:
    """Insert a version with its cells; the previous versions of the report stop being current."""
    db.execute("UPDATE report_versions SET is_current = 0 WHERE report_id = ?", [report_id])
    document = {k: v for k, v in doc.items() if k not in ("cells", "tables", "body_text")}
    version_id = db["report_versions"].insert({
        "report_id": report_id, "capture_id": capture_id, "sha256": sha, "seen_at": seen_at,
        "extractor_version": doc.get("extractor_version") or "unknown", "is_current": 1,
        "doc_type": doc.get("doc_type"), "format": doc.get("format"), "title": doc.get("title"),
        "error": json.dumps(doc["error"], ensure_ascii=False) if doc.get("error") else None,
        "document": json.dumps(document, ensure_ascii=False, default=str),
    }).last_pk
    write_cells(db, report_id, version_id, capture_id, doc.get("cells") or [])
    return version_id


def write_cells(db: sqlite_utils.Database, report_id: int, version_id: int, capture_id: int,
                cells: list[dict]) -> None:
    db["cells"].insert_all(({
        "report_id": report_id, "version_id": version_id, "tbl": c["table"], "row_key": c["row"],
        "col_key": c["col"], "value": c.get("value"), "raw": c.get("raw"),
        "semantic": c.get("semantic") or "TEXT", "locator": c.get("locator"),
        "capture_id": c.get("capture_id") or capture_id,
    } for c in cells), batch_size=500)


def store_attachment(db: sqlite_utils.Database, *, report_url: str, capture_id: int, url: str,
                     filename: str | None, doc: dict) -> int | None:
    row = db.execute("SELECT id FROM reports WHERE url = ?", [report_url]).fetchone()
    if row is None:
        return None
    cap = db.execute("SELECT sha256, size, content_type FROM captures WHERE id = ?",
                     [capture_id]).fetchone()
    err = doc.get("error")
    data = {
        "report_id": row[0], "url": url, "filename": filename, "mime": cap[2], "sha256": cap[0],
        "size": cap[1], "capture_id": capture_id, "text": doc.get("body_text"),
        "doc_type": doc.get("doc_type"),
        "extractable": 0 if err else 1,
        "error": json.dumps(err, ensure_ascii=False) if err else None,
    }
    existing = db.execute("SELECT id FROM attachments WHERE report_id = ? AND url = ?",
                          [row[0], url]).fetchone()
    if existing:
        db["attachments"].update(existing[0], data)
        return existing[0]
    return db["attachments"].insert(data).last_pk
