"""Helpers for the archive tests: store hand-built documents as real captures (WARC + SQLite),
each followed by a drain of the derive queue (archive/derive.py), so checks can be read at once."""
from __future__ import annotations

import json
import sqlite3

from archive.writer import Archive
from bench.synthetic import render_text


def store(arc: Archive, doc: dict, url: str, *, seen_at: str | None = None,
          source_id: str | None = None, kind: str | None = None, body: bytes | None = None,
          content_type: str = "text/plain; charset=utf-8"):
    """Capture `body` (default: a text rendering of `doc`) and store `doc` as its extraction."""
    data = body if body is not None else render_text(doc).encode("utf-8")
    cap = arc.add_capture(run_id=None, source_id=source_id, url=url, status=200,
                          headers=[("Content-Type", content_type)], body=data,
                          fetched_at=seen_at, role="detail")
    out = arc.store_document(capture_id=cap.id, source_id=source_id, url=url, doc=doc,
                             kind=kind, seen_at=seen_at) + (cap.id,)
    arc.drain_derived()   # as the end of a crawl does: checks and search segments
    return out


def store_attachment(arc: Archive, report_url: str, doc: dict, url: str, *,
                     seen_at: str | None = None, body: bytes | None = None):
    data = body if body is not None else render_text(doc).encode("utf-8")
    cap = arc.add_capture(run_id=None, source_id=None, url=url, status=200,
                          headers=[("Content-Type", "application/pdf")], body=data,
                          fetched_at=seen_at, role="attachment")
    att = arc.store_attachment(report_url=report_url, capture_id=cap.id, url=url,
                               filename=url.rsplit("/", 1)[-1], doc=doc)
    arc.drain_derived()
    return att, cap.id


def current_checks(arc: Archive, report_id: int, check_id: str | None = None) -> list[dict]:
    sql = ("SELECT k.* FROM checks k JOIN reports r ON r.id = k.report_id "
           "AND k.version_id = r.current_version_id WHERE k.is_current = 1 AND k.report_id = ?")
    args = [report_id]
    if check_id:
        sql += " AND k.check_id = ?"
        args.append(check_id)
    cur = arc.db.conn.execute(sql + " ORDER BY k.id", args)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def statuses(rows: list[dict]) -> dict[str, str]:
    return {r["scope"]: r["status"] for r in rows}


def dump(conn) -> dict:
    """Every row of every table but the search indexes (FTS5 tables and their shadow tables),
    for 'nothing changed' assertions."""
    out = {}
    for (name,) in conn.execute(
            "SELECT name FROM sqlite_master t WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%' "
            "AND (t.name = v.name OR t.name LIKE v.name || '\\_%' ESCAPE '\\'))").fetchall():
        try:
            out[name] = conn.execute(f"SELECT * FROM [{name}] ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:   # a WITHOUT ROWID table: in key order
            out[name] = conn.execute(f"SELECT * FROM [{name}]").fetchall()
    return out


def to_json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()
