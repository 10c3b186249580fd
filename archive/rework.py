"""The archive side of re-extraction (pipelines/reextract.py orchestrates; docs/archive.md).

Which current versions are stale, and writing a new extraction of a kept capture as a new
version of the same part (the old rows stay, not current). Like storing a crawled item, this
writes rows only and queues the report for archive/derive.py. Call inside a transaction.
"""
from __future__ import annotations

import json
import re
from typing import NamedTuple

from archive import derive, store


class StaleVersion(NamedTuple):
    version_id: int
    report_id: int
    part: str
    attachment_id: int | None
    capture_id: int
    seen_at: str
    extractor_version: str
    url: str
    final_url: str | None
    headers: str | None
    sha256: str | None
    warc_file: str
    warc_offset: int
    warc_length: int


def _vtuple(v: str | None) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", v or ""))


def stale_versions(conn, current: str, since_version: str | None = None) -> list[StaleVersion]:
    """Current versions to re-extract: made by another extractor than `current` (and, with
    `since_version`, only those made by extractors older than it), whose bytes are in a WARC."""
    rows = conn.execute(
        "SELECT v.id, v.report_id, v.part, v.attachment_id, v.capture_id, v.seen_at, "
        "v.extractor_version, c.url, c.final_url, c.headers, c.sha256, c.warc_file, "
        "c.warc_offset, c.warc_length FROM report_versions v JOIN captures c ON c.id = v.capture_id "
        "WHERE v.is_current = 1 AND v.extractor_version != ? AND c.warc_file IS NOT NULL "
        "ORDER BY v.id", [current]).fetchall()
    out = [StaleVersion(*r) for r in rows]
    if since_version:
        limit = _vtuple(since_version)
        out = [r for r in out if _vtuple(r.extractor_version) < limit]
    return out


def rewrite_attachment(conn, row: StaleVersion, doc: dict) -> None:
    """The attachment's text and state from the new extraction, and a new attachment version."""
    err = doc.get("error")
    conn.execute("UPDATE attachments SET text = ?, doc_type = ?, extractable = ?, error = ? "
                 "WHERE id = ?", [doc.get("body_text"), doc.get("doc_type"), 0 if err else 1,
                                  json.dumps(err, ensure_ascii=False) if err else None,
                                  row.attachment_id])
    store.store_attachment_version(conn, row.report_id, row.attachment_id, row.capture_id, doc,
                                   row.seen_at, force=True)   # queues the report


def rewrite_page_version(conn, row: StaleVersion, doc: dict, identity, seen,
                         decide_kind: bool) -> int:
    """A new page version of the report from `doc`, under the `identity` settled from `seen`
    (nianbao.identity, as in the crawl); the report row takes the identity's values (the kind
    only with `decide_kind`: archives crawled before `seen` was kept cannot re-decide it)."""
    doc = {**doc, "title": identity.title, "agency": identity.agency,
           "report_year": identity.report_year, "published": identity.published,
           "seen": seen.to_json()}
    vid = store.write_version(conn, report_id=row.report_id, capture_id=row.capture_id, doc=doc,
                              seen_at=row.seen_at, sha=row.sha256)
    meta = {"title": identity.title, "agency": identity.agency, "agency_key": identity.agency_key,
            "report_year": identity.report_year, "published": identity.published,
            "format": doc.get("format")}
    if decide_kind:
        meta["kind"] = identity.kind
    sets = {k: v for k, v in meta.items() if v is not None}
    conn.execute(f"UPDATE reports SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                 [*sets.values(), row.report_id])
    store.settle_current(conn, row.report_id)
    derive.enqueue(conn, row.report_id)
    return vid


def reports_with_stale_checks(conn, checks_version: str) -> list[int]:
    """Reports with current check results made by another checks version."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT report_id FROM checks WHERE is_current = 1 AND check_version != ? "
        "ORDER BY report_id", [checks_version])]
