"""Report identity and versions: turning one extracted document into archive rows.

Called inside a transaction by `Archive.store_document` / `store_attachment` and by
re-extraction (archive/rework.py). Rows only: a report whose rows changed is queued in
`derive_queue`, and its search segments and checks are derived later by archive/derive.py
(docs/archive.md). Nothing is overwritten: a changed page becomes a new version; re-extraction with
a newer extractor writes new rows for the same capture and flips `is_current`.

Identity. A capture belongs to an existing report when its URL is one the report was reached
by (`report_urls`), or when the same agency (resolved agency key) + report year + edition kind
already has a report under another URL *of the same source*: that URL is then added to the
report. A report of the same agency and year but another kind (图解, attachment-only page, …) is
an *edition*: its own report row with `edition_of` pointing at the primary report. Another
source's report is matched (as the same report or an edition) only on edition evidence: that
report links this URL (as its attachment or from its page). A title is no evidence, nor a link
back to the report: any site can copy both, and a look-alike must not become another agency's
current version (docs/archive.md, "Identity").

Versions. A version is one extraction of one *part* of a report: its page (`part='page'`) or
one of its attachments (`part='attachment'`, `attachment_id`). Its `capture_id` is the capture
whose bytes were extracted and every cell carries that capture id, so provenance always leads
to the exact bytes. `reports.current_version_id` is the version whose cells and checks stand
for the report: the page if it has tables, otherwise the newest attachment version with tables
(attachment-only reports). New bytes whose extracted content (title, date, body, cells) equals
the current version's are nothing new: only `last_seen` moves.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3

import sqlite_utils

from archive import derive, locators, versiondoc
from archive.agency import source_region
from archive.checks.cross_year import agency_group
from archive.schema import SEMANTIC_CODES
from nianbao import canon
from nianbao.identity import Identity, Seen

# Which edition stands for the report when several kinds exist for one agency-year.
_KIND_RANK = {"report": 0, "attachment_only": 1, "graphic": 2}
_DOC_DROP = ("cells", "tables", "checks")  # body_text stays: old versions keep their text


def _conn(db):
    return getattr(db, "conn", db)


def content_sha(doc: dict) -> str:
    """Fingerprint of what a user sees in the archive for this extraction."""
    cells = sorted((c["table"], c["row"], c["col"], c.get("raw"), c.get("semantic"))
                   for c in doc.get("cells") or [])
    payload = [doc.get("title"), doc.get("agency"), doc.get("report_year"), doc.get("published"),
               doc.get("format"), doc.get("body_text"), cells]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, default=str).encode()).hexdigest()


def find_report(db, url: str) -> int | None:
    conn = _conn(db)
    row = conn.execute("SELECT report_id FROM report_urls WHERE url = ?", [url]).fetchone()
    if row:
        return row[0]
    row = conn.execute("SELECT id FROM reports WHERE url = ?", [url]).fetchone()
    return row[0] if row else None


def _same_agency_year(conn, key: str | None, year, source_id: str | None,
                      url: str) -> list[tuple[int, str, int | None]]:
    """(id, kind, edition_of) of the reports of this agency-year that a page of `source_id` at
    `url` may join: the same source's, and another source's only on edition evidence."""
    keys = agency_group(conn, key)
    if not keys or not isinstance(year, int):
        return []
    marks = ",".join("?" * len(keys))
    rows = conn.execute(f"SELECT id, kind, edition_of, source_id FROM reports WHERE agency_key IN "
                        f"({marks}) AND report_year = ? ORDER BY id", [*keys, year]).fetchall()
    return [(rid, kind, ed) for rid, kind, ed, sid in rows
            if sid == source_id or _linked(conn, rid, url)]


def _linked(conn, report_id: int, url: str) -> bool:
    """Edition evidence for a page of another source: the report itself links the page (as its
    attachment, or from its page). The page linking the report proves nothing: any site can."""
    if conn.execute("SELECT 1 FROM attachments WHERE report_id = ? AND url = ?",
                    [report_id, url]).fetchone():
        return True
    for (document,) in conn.execute("SELECT document FROM report_versions WHERE report_id = ? "
                                    "AND part = 'page' AND is_current = 1", [report_id]):
        links = versiondoc.load(document).get("links") or []
        if any(isinstance(lk, dict) and lk.get("url") == url for lk in links):
            return True
    return False


def _link_url(conn, report_id: int, url: str, seen_at: str) -> None:
    conn.execute("INSERT INTO report_urls (url, report_id, first_seen, last_seen) VALUES (?,?,?,?) "
                 "ON CONFLICT(url) DO UPDATE SET last_seen = excluded.last_seen",
                 [url, report_id, seen_at, seen_at])


def _attach_edition(conn, report_id: int, kind: str, key: str | None, year,
                    source_id: str | None, url: str) -> None:
    """Link a new report to the primary edition of its agency-year (or become the primary)."""
    others = [r for r in _same_agency_year(conn, key, year, source_id, url) if r[0] != report_id]
    if not others:
        return
    primary = next((r for r in others if r[2] is None), None)
    if primary is None:
        primary_id = others[0][2]
        primary_kind = conn.execute("SELECT kind FROM reports WHERE id = ?", [primary_id]).fetchone()[0]
    else:
        primary_id, primary_kind = primary[0], primary[1]
    if _KIND_RANK.get(kind, 9) < _KIND_RANK.get(primary_kind, 9):
        # The new report is the better primary (a full report arriving after its 图解).
        conn.execute("UPDATE reports SET edition_of = ? WHERE id = ? OR edition_of = ?",
                     [report_id, primary_id, primary_id])
        conn.execute("UPDATE reports SET edition_of = NULL WHERE id = ?", [report_id])
    else:
        conn.execute("UPDATE reports SET edition_of = ? WHERE id = ?", [primary_id, report_id])


def store_document(db: sqlite_utils.Database, *, capture_id: int, source_id: str | None, url: str,
                   doc: dict, identity: Identity, seen: Seen, seen_at: str) -> tuple[int, int, bool]:
    """Record the extraction `doc` of a report page under the `identity` settled for it
    (nianbao.identity); `seen` is kept with the version so re-extraction settles the same way."""
    conn = _conn(db)
    kind = identity.kind or "report"
    report_id = find_report(conn, url)
    if source_id is None and report_id is not None:
        source_id = conn.execute("SELECT source_id FROM reports WHERE id = ?", [report_id]).fetchone()[0]
    key = identity.agency_key
    year = identity.report_year
    list_title, list_date = seen.list_title, seen.list_date
    doc = {**doc, "title": identity.title, "agency": identity.agency, "report_year": year,
           "published": identity.published, "seen": seen.to_json()}
    if report_id is None:
        # The same agency + year + edition reached by another URL of the source is the same report.
        same = [r for r in _same_agency_year(conn, key, year, source_id, url) if r[1] == kind]
        if same:
            report_id = next((r[0] for r in same if r[2] is None), same[0][0])
    meta = {
        "title": doc.get("title") or list_title, "agency": doc.get("agency"), "agency_key": key,
        "report_year": year, "published": doc.get("published") or list_date,
        "format": doc.get("format"), "kind": kind, "list_title": list_title,
        "list_date": list_date, "last_seen": seen_at,
    }
    new_report = report_id is None
    if new_report:
        report_id = db["reports"].insert({**meta, "source_id": source_id, "url": url,
                                          "first_seen": seen_at,
                                          "body_text": doc.get("body_text")}).last_pk
        _link_url(conn, report_id, url, seen_at)
        _attach_edition(conn, report_id, kind, key, year, source_id, url)
    else:
        _link_url(conn, report_id, url, seen_at)
        # Compare with what this URL last gave (two URLs of one report with different bytes
        # must not make a new version on every crawl), else with the current page version.
        current = conn.execute(
            "SELECT v.id, v.content_sha, v.extractor_version FROM report_versions v "
            "JOIN captures c ON c.id = v.capture_id WHERE v.report_id = ? AND v.part = 'page' "
            "AND (c.url = ? OR c.final_url = ?) ORDER BY v.id DESC LIMIT 1",
            [report_id, url, url]).fetchone() or conn.execute(
            "SELECT id, content_sha, extractor_version FROM report_versions WHERE report_id = ? "
            "AND part = 'page' AND is_current = 1 ORDER BY id DESC LIMIT 1", [report_id]).fetchone()
        if current and current[1] == content_sha(doc) and \
                current[2] == (doc.get("extractor_version") or "unknown"):
            conn.execute("UPDATE reports SET last_seen = ?, gone_at = NULL, missing_since = NULL "
                         "WHERE id = ?", [seen_at, report_id])
            return report_id, current[0], False
    version_id = write_version(db, report_id=report_id, capture_id=capture_id, doc=doc,
                               seen_at=seen_at)
    conn.execute("UPDATE reports SET gone_at = NULL, missing_since = NULL WHERE id = ?", [report_id])
    db["reports"].update(report_id, meta)
    settle_current(conn, report_id)
    derive.enqueue(conn, report_id)
    return report_id, version_id, True


def version_seen(conn, version_id: int, report_id: int) -> tuple[Seen, bool]:
    """What the crawl saw for a stored page version, and whether it was kept (archives made
    before it was are read from the report row: list title and date, the source's region)."""
    doc = versiondoc.load(conn.execute("SELECT document FROM report_versions WHERE id = ?",
                                       [version_id]).fetchone()[0])
    if doc.get("seen") is not None:
        return Seen.from_json(doc["seen"]), True
    title, date, sid = conn.execute("SELECT list_title, list_date, source_id FROM reports WHERE id = ?",
                                    [report_id]).fetchone()
    return Seen(list_title=title, list_date=date, region=source_region(conn, sid)), False


def write_version(db, *, report_id: int, capture_id: int, doc: dict, seen_at: str,
                  part: str = "page", attachment_id: int | None = None,
                  sha: str | None = None) -> int:
    """Insert a version with its cells; earlier versions of the same part stop being current."""
    conn = _conn(db)
    db = _as_db(db)
    if sha is None:
        sha = conn.execute("SELECT sha256 FROM captures WHERE id = ?", [capture_id]).fetchone()[0]
    conn.execute("UPDATE report_versions SET is_current = 0 WHERE report_id = ? AND part = ? "
                 "AND attachment_id IS ? AND is_current = 1", [report_id, part, attachment_id])
    document = {k: v for k, v in doc.items() if k not in _DOC_DROP}
    version_id = db["report_versions"].insert({
        "report_id": report_id, "capture_id": capture_id, "sha256": sha or "", "seen_at": seen_at,
        "extractor_version": doc.get("extractor_version") or "unknown", "is_current": 1,
        "doc_type": doc.get("doc_type"), "format": doc.get("format"), "title": doc.get("title"),
        "error": json.dumps(doc["error"], ensure_ascii=False) if doc.get("error") else None,
        "document": versiondoc.pack(document),
        "part": part, "attachment_id": attachment_id, "content_sha": content_sha(doc),
    }).last_pk
    write_cells(conn, report_id, version_id, capture_id, doc.get("cells") or [])
    return version_id


def _ids(conn, table: str, key: str, wanted: dict) -> dict:
    """{key: id} of `wanted` (keys in first-seen order) in a name table, adding the new ones in
    that order (rows, columns and locator forms are numbered as they first appear)."""
    conn.executemany(f"INSERT OR IGNORE INTO {table} ({key}) VALUES (?)", [(k,) for k in wanted])
    found = {}
    for k in wanted:
        found[k] = conn.execute(f"SELECT id FROM {table} WHERE {key} = ?", [k]).fetchone()[0]
    return found


def write_cells(conn, report_id: int, version_id: int, capture_id: int, cells: list[dict]) -> None:
    """Insert the version's cells into `cell_values`, keyed and coded as the `cells` view's
    trigger would, with each locator split into its form and numbers (archive/locators.py)."""
    if not cells:
        return
    rows = dict.fromkeys((c["table"], c["row"]) for c in cells)
    bad = {t for t, _ in rows if t not in canon.TABLES}
    if bad:
        raise sqlite3.IntegrityError(f"cells: tbl must be t2, t3 or t4 (not {sorted(bad)})")
    codes = [SEMANTIC_CODES.get(c.get("semantic") or "TEXT") for c in cells]
    if None in codes:
        raise sqlite3.IntegrityError("cells: semantic must be NUMERIC, ZERO, EMPTY, NA or TEXT")
    for (t, r) in rows:
        conn.execute("INSERT OR IGNORE INTO cell_rows (tbl, row_key) VALUES (?, ?)", [t, r])
        rows[(t, r)] = conn.execute("SELECT id FROM cell_rows WHERE tbl = ? AND row_key = ?", [t, r]).fetchone()[0]
    cols = _ids(conn, "cell_cols", "col_key", dict.fromkeys(c["col"] for c in cells))
    parts = [locators.split(c.get("locator")) for c in cells]
    forms = _ids(conn, "cell_locators", "form", dict.fromkeys(p[0] for p in parts if p[0] is not None))
    conn.executemany(
        "INSERT INTO cell_values (version_id, row_id, col_id, value, raw, semantic, locator_id, loc1, loc2, "
        "loc3, loc4, capture_id, source, confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(version_id, rows[(c["table"], c["row"])], cols[c["col"]], c.get("value"), c.get("raw"), code,
          forms.get(part[0]), *part[1:],
          None if (c.get("capture_id") or capture_id) == capture_id else c["capture_id"],
          c.get("source"), c.get("confidence"))
         for c, code, part in zip(cells, codes, parts)])


def _has_cells(conn, version_id: int) -> bool:
    return conn.execute("SELECT 1 FROM cells WHERE version_id = ? LIMIT 1", [version_id]).fetchone() \
        is not None


def settle_current(conn, report_id: int) -> int | None:
    """Point reports.current_version_id at the version that stands for the report and keep the
    report's searchable text (page body, plus the attachment's when the tables come from it).
    The caller queues the report (derive.enqueue): its word index and checks follow from these."""
    page = conn.execute("SELECT id FROM report_versions WHERE report_id = ? AND part = 'page' "
                        "AND is_current = 1 ORDER BY id DESC LIMIT 1", [report_id]).fetchone()
    atts = conn.execute("SELECT v.id FROM report_versions v WHERE v.report_id = ? "
                        "AND v.part = 'attachment' AND v.is_current = 1 ORDER BY v.id DESC",
                        [report_id]).fetchall()
    chosen = page[0] if page else None
    if chosen is None or not _has_cells(conn, chosen):
        with_cells = next((a[0] for a in atts if _has_cells(conn, a[0])), None)
        if with_cells is not None:
            chosen = with_cells
    if chosen is None:
        return None
    body = _page_body(conn, report_id, page[0] if page else None)
    if page is None or not _has_cells(conn, page[0]):
        # The report is in its attachments (详见附件): their text is the report's text.
        texts = [t for (t,) in conn.execute("SELECT text FROM attachments WHERE report_id = ? "
                                            "AND text IS NOT NULL ORDER BY id", [report_id])]
        if texts:
            body = "\n\n".join([body or "", *texts]).strip()
    if chosen != (page[0] if page else None):
        fmt = conn.execute("SELECT format FROM report_versions WHERE id = ?", [chosen]).fetchone()[0]
        conn.execute("UPDATE reports SET format = COALESCE(?, format) WHERE id = ?", [fmt, report_id])
    old = conn.execute("SELECT body_text, current_version_id FROM reports WHERE id = ?",
                       [report_id]).fetchone()
    if old[0] != body or old[1] != chosen:
        conn.execute("UPDATE reports SET body_text = ?, current_version_id = ? WHERE id = ?",
                     [body, chosen, report_id])
    versiondoc.lend(conn, report_id)   # the body once: versions with this body point to it
    return chosen


def _page_body(conn, report_id: int, page_version: int | None) -> str | None:
    """The page's body text, from the page version's document."""
    if page_version is None:
        return conn.execute("SELECT body_text FROM reports WHERE id = ?", [report_id]).fetchone()[0]
    return versiondoc.fetch(conn, page_version).get("body_text")


def store_attachment(db: sqlite_utils.Database, *, report_url: str, capture_id: int, url: str,
                     filename: str | None, doc: dict) -> int | None:
    """Record an attachment of the report at `report_url`. When the attachment has tables it gets
    its own version of the report (tied to the attachment's capture); it becomes the report's
    current version if the page itself has no tables."""
    conn = _conn(db)
    report_id = find_report(conn, report_url)
    if report_id is None:
        return None
    cap = conn.execute("SELECT sha256, size, content_type, fetched_at FROM captures WHERE id = ?",
                       [capture_id]).fetchone()
    err = doc.get("error")
    data = {
        "report_id": report_id, "url": url, "filename": filename, "mime": cap[2], "sha256": cap[0],
        "size": cap[1], "capture_id": capture_id, "text": doc.get("body_text"),
        "doc_type": doc.get("doc_type"), "extractable": 0 if err else 1,
        "error": json.dumps(err, ensure_ascii=False) if err else None,
    }
    existing = conn.execute("SELECT id FROM attachments WHERE report_id = ? AND url = ?",
                            [report_id, url]).fetchone()
    if existing:
        att_id = existing[0]
        db["attachments"].update(att_id, data)
    else:
        att_id = db["attachments"].insert(data).last_pk
    if doc.get("cells"):
        doc = _with_sibling_pictures(conn, report_id, att_id, doc)
        store_attachment_version(conn, report_id, att_id, capture_id, doc, cap[3])
    else:
        settle_current(conn, report_id)  # its text may now be the report's searchable text
        derive.enqueue(conn, report_id)
    return att_id


def _with_sibling_pictures(conn, report_id: int, att_id: int, doc: dict) -> dict:
    """A page whose tables are pictures shows one table per <img>: a picture's version also holds
    the tables the report's other pictures gave (each cell keeps the capture it was read from),
    so the newest picture's version, which becomes current, has every table the pictures show."""
    if doc.get("doc_type") != "image":
        return doc
    own = {c["table"] for c in doc["cells"]}
    rows = conn.execute(
        "SELECT c.tbl, c.row_key, c.col_key, c.value, c.raw, c.semantic, c.locator, c.capture_id, c.source, "
        "c.confidence FROM report_versions v JOIN attachments a ON a.id = v.attachment_id "
        "JOIN cells c ON c.version_id = v.id WHERE v.report_id = ? AND v.part = 'attachment' "
        "AND v.is_current = 1 AND a.id != ? AND a.doc_type = 'image' ORDER BY v.id DESC, c.row_id, c.col_id",
        [report_id, att_id]).fetchall()
    seen, extra = set(), []
    for t, r, c, value, raw, sem, loc, cap, src, conf in rows:
        if t in own or (t, r, c) in seen:
            continue
        seen.add((t, r, c))
        extra.append({"table": t, "row": r, "col": c, "value": value, "raw": raw, "semantic": sem,
                      "locator": loc, "capture_id": cap, "source": src, "confidence": conf})
    if not extra:
        return doc
    cells = [*doc["cells"], *extra]
    tables: dict = {}
    for c in cells:
        tables.setdefault(c["table"], {}).setdefault(c["row"], {})[c["col"]] = c.get("value")
    return {**doc, "cells": cells, "tables": tables}


def merged_attachment_doc(conn, report_id: int, doc: dict) -> dict:
    """The attachment's tables and text under the report page's identity (title, agency, year,
    date); the attachment's own values fill what the page lacks."""
    page = conn.execute("SELECT title, agency, report_year, published FROM reports WHERE id = ?",
                        [report_id]).fetchone()
    merged = dict(doc)
    for k, v in zip(("title", "agency", "report_year", "published"), page):
        if v is not None:
            merged[k] = v
    return merged


def store_attachment_version(conn, report_id: int, att_id: int, capture_id: int, doc: dict,
                             seen_at: str, force: bool = False) -> int | None:
    merged = merged_attachment_doc(conn, report_id, doc)
    current = conn.execute(
        "SELECT id, content_sha, extractor_version FROM report_versions WHERE report_id = ? "
        "AND part = 'attachment' AND attachment_id = ? AND is_current = 1", [report_id, att_id]
    ).fetchone()
    if not force and current and current[1] == content_sha(merged) and \
            current[2] == (doc.get("extractor_version") or "unknown"):
        return current[0]
    vid = write_version(_as_db(conn), report_id=report_id, capture_id=capture_id, doc=merged,
                        seen_at=seen_at, part="attachment", attachment_id=att_id)
    settle_current(conn, report_id)
    derive.enqueue(conn, report_id)
    return vid


def _as_db(conn) -> sqlite_utils.Database:
    return conn if isinstance(conn, sqlite_utils.Database) else sqlite_utils.Database(conn)
