"""`report_versions.document` as stored: the extract JSON without cells, with the body text once.

A section's text is a run of the body text (pipelines/extract/body.py cuts the body at the six
headings), so a stored section keeps only where its text is: `"at": [start, end]`, character
offsets into `body_text`. Storing the text twice was ~10 KB of every report (docs/archive.md,
"Version documents"). A section whose text is not found in order in the body keeps its `text`.
`load` gives back the document as extracted; every reader of the column goes through it.
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
    return json.dumps(doc, ensure_ascii=False, default=str)


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
    return doc
