"""The extract document as types: what the extractor returns for one report's bytes.

`Document.to_json()` is "the extract JSON" (docs/report-format.md) that `nianbao extract --json`
prints, the crawl carries between processes and the archive stores; `Document.from_json()` reads
it back. The JSON shape is the contract: keys and value shapes stay as they were; `warnings` and
`stated` (the figures the text states) are the additions, at the end.

Problems come in two severities. An *error* means the content could not be read (the document
holds no cells); a *warning* means something was off but the content was still read (a truncated
page, a URL naming a PDF that served HTML, a table cut at the cell limit) — cells are kept and
the archive counts the document as extractable.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Union

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

Value = Union[int, float, None]


@dataclass(frozen=True)
class Problem:
    code: str        # e.g. "parse_error", "truncated" (docs/report-format.md lists them)
    severity: str    # ERROR or WARNING
    message: str

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    @classmethod
    def error(cls, code: str, message: str) -> Problem:
        return cls(code, ERROR, message)

    @classmethod
    def warning(cls, code: str, message: str) -> Problem:
        return cls(code, WARNING, message)

    def to_json(self) -> dict:
        # The severity is where the problem sits in the JSON (`error` or `warnings`), not a key.
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, d: dict, severity: str) -> Problem:
        return cls(str(d.get("code")), severity, str(d.get("message") or ""))


@dataclass(frozen=True)
class Cell:
    """One canonical cell: `raw` is the printed text, `value` a number only when `semantic` is
    NUMERIC or ZERO (nianbao.canon); `locator` says where in the file it was read."""
    table: str
    row: str
    col: str
    value: Value
    raw: str
    semantic: str
    locator: str
    capture_id: int | None = None   # set once the archive knows which capture the cell came from
    # Set only for cells read from a picture: source "ocr" and the recogniser's confidence (0-1).
    # Absent from the JSON otherwise, so documents without OCR keep their exact shape.
    source: str | None = None
    confidence: float | None = None

    def to_json(self) -> dict:
        d = {"table": self.table, "row": self.row, "col": self.col, "raw": self.raw,
             "value": self.value, "semantic": self.semantic, "locator": self.locator}
        if self.capture_id is not None:
            d["capture_id"] = self.capture_id
        if self.source is not None:
            d["source"] = self.source
        if self.confidence is not None:
            d["confidence"] = self.confidence
        return d

    @classmethod
    def from_json(cls, d: dict) -> Cell:
        return cls(table=d["table"], row=d["row"], col=d["col"], value=d.get("value"),
                   raw=d.get("raw", ""), semantic=d["semantic"], locator=d.get("locator", ""),
                   capture_id=d.get("capture_id"), source=d.get("source"),
                   confidence=d.get("confidence"))


@dataclass(frozen=True)
class Section:
    """One of the six report sections (canon section key s1…s6), its heading and its text."""
    key: str
    title: str
    text: str

    def to_json(self) -> dict:
        return {"key": self.key, "title": self.title, "text": self.text}

    @classmethod
    def from_json(cls, d: dict) -> Section:
        return cls(d["key"], d.get("title", ""), d.get("text", ""))


@dataclass(frozen=True)
class Link:
    """A link or image of the report body that may hold the report (attachment, 图解 picture)."""
    url: str
    text: str

    def to_json(self) -> dict:
        return {"url": self.url, "text": self.text}

    @classmethod
    def from_json(cls, d: dict) -> Link:
        return cls(d["url"], d.get("text", ""))


@dataclass(frozen=True)
class LegacyTable:
    """A statistics grid of a pre-2019 (legacy format) report, kept as printed text rows."""
    locator: str
    rows: tuple[tuple[str, ...], ...]

    def to_json(self) -> dict:
        return {"locator": self.locator, "rows": [list(r) for r in self.rows]}

    @classmethod
    def from_json(cls, d: dict) -> LegacyTable:
        return cls(d["locator"], tuple(tuple(r) for r in d.get("rows") or ()))


@dataclass(frozen=True)
class StatedFigure:
    """A number the report's text states about its own tables (pipelines/extract/stated.py):
    `claim` names what it counts (a key of stated.CLAIMS, e.g. "t3.received"), `approx` is set
    for 余/约/近/超过…, `span` is the phrase's offsets in the normalised body text."""
    claim: str
    number: Value
    approx: bool
    phrase: str
    sentence: str
    span: tuple[int, int]
    year: int | None = None     # a year the sentence names, when it names one

    def to_json(self) -> dict:
        return {"claim": self.claim, "number": self.number, "approx": self.approx,
                "phrase": self.phrase, "sentence": self.sentence, "span": list(self.span),
                "year": self.year}

    @classmethod
    def from_json(cls, d: dict) -> StatedFigure:
        span = d.get("span") or (0, 0)
        return cls(str(d.get("claim")), d.get("number"), bool(d.get("approx")),
                   d.get("phrase") or "", d.get("sentence") or "", (int(span[0]), int(span[1])),
                   d.get("year"))


Tables = dict[str, dict[str, dict[str, Value]]]   # table → row → col → value


def tables_of(cells) -> Tables:
    """The `tables` view of cells: table → row → col → value, in cell order."""
    out: Tables = {}
    for c in cells:
        out.setdefault(c.table, {}).setdefault(c.row, {})[c.col] = c.value
    return out


@dataclass(frozen=True)
class Document:
    doc_type: str = "unknown"          # what the bytes are (sniffed, never from the URL)
    url: str | None = None
    title: str | None = None
    agency: str | None = None
    report_year: int | None = None
    published: str | None = None       # ISO date
    format: str | None = None          # canon.FORMAT_2021 / FORMAT_2019 / FORMAT_LEGACY / None
    kind: str | None = None            # report | graphic | attachment_only | prose_only
    tables: Tables = field(default_factory=dict)
    cells: tuple[Cell, ...] = ()
    checks: tuple[dict, ...] = ()      # filled by the within-report checks, not the extractor
    body_text: str = ""
    sections: tuple[Section, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    legacy_tables: tuple[LegacyTable, ...] = ()
    extractor_version: str | None = None
    error: Problem | None = None
    warnings: tuple[Problem, ...] = ()
    stated: tuple[StatedFigure, ...] = ()   # figures the body text states (an addition, after warnings)

    def __post_init__(self):
        if self.error is not None and self.error.severity != ERROR:
            raise ValueError(f"`error` holds a {self.error.severity}: {self.error.code}")
        bad = [w.code for w in self.warnings if w.severity != WARNING]
        if bad:
            raise ValueError(f"`warnings` holds errors: {bad}")

    def to_json(self) -> dict:
        """The extract JSON (key order as it has always been printed; `warnings` last)."""
        return {
            "title": self.title, "agency": self.agency, "report_year": self.report_year,
            "published": self.published, "format": self.format,
            "tables": copy.deepcopy(self.tables), "cells": [c.to_json() for c in self.cells],
            "checks": [dict(c) for c in self.checks], "doc_type": self.doc_type,
            "body_text": self.body_text, "sections": [s.to_json() for s in self.sections],
            "metadata": copy.deepcopy(self.metadata), "kind": self.kind,
            "links": [lk.to_json() for lk in self.links],
            "legacy_tables": [t.to_json() for t in self.legacy_tables],
            "extractor_version": self.extractor_version,
            "error": self.error.to_json() if self.error else None, "url": self.url,
            "warnings": [w.to_json() for w in self.warnings],
            "stated": [f.to_json() for f in self.stated],
        }

    @classmethod
    def from_json(cls, d: dict) -> Document:
        """The reverse of to_json. Missing keys take their defaults (a document stored before
        `warnings` existed has none); keys the model does not know are ignored (the crawl adds
        its own, e.g. `seen`, to the dict it carries)."""
        err = d.get("error")
        return cls(
            doc_type=d.get("doc_type") or "unknown", url=d.get("url"), title=d.get("title"),
            agency=d.get("agency"), report_year=d.get("report_year"), published=d.get("published"),
            format=d.get("format"), kind=d.get("kind"), tables=copy.deepcopy(d.get("tables") or {}),
            cells=tuple(Cell.from_json(c) for c in d.get("cells") or ()),
            checks=tuple(dict(c) for c in d.get("checks") or ()), body_text=d.get("body_text") or "",
            sections=tuple(Section.from_json(s) for s in d.get("sections") or ()),
            metadata=copy.deepcopy(d.get("metadata") or {}),
            links=tuple(Link.from_json(lk) for lk in d.get("links") or ()),
            legacy_tables=tuple(LegacyTable.from_json(t) for t in d.get("legacy_tables") or ()),
            extractor_version=d.get("extractor_version"),
            error=Problem.from_json(err, ERROR) if err else None,
            warnings=tuple(Problem.from_json(w, WARNING) for w in d.get("warnings") or ()),
            stated=tuple(StatedFigure.from_json(f) for f in d.get("stated") or ()),
        )

    @property
    def extractable(self) -> bool:
        """The content was read: no error (warnings do not count)."""
        return self.error is None
