"""`report_versions.document` as stored: the extract JSON without cells, with the body text once.

A section's text is a run of the body text (pipelines/extract/body.py cuts the body at the six
headings), so a stored section keeps only where its text is: `"at": [start, end]`, character
offsets into `body_text`. Storing the text twice was ~10 KB of every report (docs/archive.md,
"Version documents"). A section whose text is not found in order in the body keeps its `text`.
`load` gives back the document as extracted; every reader of the column goes through it.

The stated figures (`stated`, a list of objects with the same keys) are stored as columns and
rows, `{"columns": [...], "rows": [[...], ...]}`, and a figure whose `phrase` is the body's text
at its `span` keeps no copy of it (its row index is listed in `"phrase_at_span"`): the key names
and phrases were ~0.9 KB of every report. A `sentence` found in the body is stored as its
`[start, end]` there (row indexes in `"sentence_in_body"`): the sentences were ~1.2 KB more.

A version whose body is the report's `reports.body_text` lends it (`"body_in_report": true`, no
`body_text`): the body is then stored once. `lend` marks them; the `version_documents` view puts
the body back for readers (`fetch`), and a trigger writes it back into the document before
`reports.body_text` changes (archive/schema.py, migration 20; docs/archive.md#version-documents).
"""
from __future__ import annotations

import json


def pack(doc: dict) -> str:
    """The JSON to store for an extract document (cells already left out by the caller)."""
    body = doc.get("body_text") or ""
    sections = doc.get("sections")
    if body and isinstance(sections, list):
        out, pos = [], 0
        for s in sections:
            text = s.get("text") if isinstance(s, dict) else None
            i = body.find(text, pos) if isinstance(text, str) and text else -1
            if i < 0:
                out.append(s)
                continue
            out.append({**{k: v for k, v in s.items() if k != "text"}, "at": [i, i + len(text)]})
            pos = i + len(text)
        doc = {**doc, "sections": out}
    stated = _pack_stated(doc.get("stated"), body)
    if stated is not None:
        doc = {**doc, "stated": stated}
    return json.dumps(doc, ensure_ascii=False, default=str)


def _at_span(fig: dict, body: str) -> bool:
    span, phrase = fig.get("span"), fig.get("phrase")
    return (isinstance(phrase, str) and phrase != "" and isinstance(span, (list, tuple)) and len(span) == 2
            and all(type(x) is int for x in span) and 0 <= span[0] <= span[1]
            and body[span[0]:span[1]] == phrase)


def _pack_stated(stated, body: str) -> dict | None:
    """`stated` as columns and rows (None: leave it as it is: not a list of objects with the
    same keys in the same order)."""
    if not isinstance(stated, list) or not stated or not all(isinstance(f, dict) for f in stated):
        return None
    columns = list(stated[0])
    if any(list(f) != columns for f in stated):
        return None
    at_span = [i for i, f in enumerate(stated) if _at_span(f, body)]
    rows = [[None if k == "phrase" and i in at_span else f[k] for k in columns]
            for i, f in enumerate(stated)]
    packed = {"columns": columns, "rows": rows, "phrase_at_span": at_span}
    if "sentence" in columns:
        col, found = columns.index("sentence"), []
        for i, row in enumerate(rows):
            text = row[col]
            at = body.find(text) if isinstance(text, str) and text else -1
            if at >= 0:
                row[col] = [at, at + len(text)]
                found.append(i)
        if found:
            packed["sentence_in_body"] = found
    return packed


def _load_stated(packed: dict, body: str) -> list:
    columns, at_span = packed.get("columns") or [], set(packed.get("phrase_at_span") or ())
    in_body = set(packed.get("sentence_in_body") or ())
    out = []
    for i, row in enumerate(packed.get("rows") or []):
        fig = dict(zip(columns, row))
        if i in at_span:
            fig["phrase"] = body[fig["span"][0]:fig["span"][1]]
        if i in in_body:
            fig["sentence"] = body[fig["sentence"][0]:fig["sentence"][1]]
        out.append(fig)
    return out


LENT = "body_in_report"
# The versions whose body is their report's body, not yet lent (JSON in SQL: the documents are
# not parsed in Python for this).
_LEND = f"""UPDATE report_versions SET document =
        json_set(json_remove(document, '$.body_text'), '$.{LENT}', json('true'))
    WHERE {{which}} json_valid(document) AND json_extract(document, '$.{LENT}') IS NULL
    AND json_extract(document, '$.body_text') =
        (SELECT r.body_text FROM reports r WHERE r.id = report_versions.report_id)"""


def lend(conn, report_id: int | None = None) -> int:
    """Let the versions of the report (None: of every report) whose body is `reports.body_text`
    keep no copy of it; returns how many did."""
    if report_id is None:
        return conn.execute(_LEND.format(which="")).rowcount
    return conn.execute(_LEND.format(which="report_id = ? AND"), [report_id]).rowcount


def fetch(conn, version_id: int) -> dict:
    """The document of a stored version as extracted, its body back if it lent it."""
    row = conn.execute("SELECT document FROM version_documents WHERE id = ?", [version_id]).fetchone()
    return load(row[0] if row else None)


def load(stored: str | None) -> dict:
    """The stored JSON → the document as extracted (sections with their text)."""
    try:
        doc = json.loads(stored or "{}")
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    sections = doc.get("sections")
    if isinstance(sections, list) and any(isinstance(s, dict) and "at" in s for s in sections):
        body = doc.get("body_text") or ""
        doc["sections"] = [
            {**{k: v for k, v in s.items() if k != "at"}, "text": body[s["at"][0]:s["at"][1]]}
            if isinstance(s, dict) and "at" in s else s for s in sections]
    stated = doc.get("stated")
    if isinstance(stated, dict) and "columns" in stated:
        doc["stated"] = _load_stated(stated, doc.get("body_text") or "")
    return doc
