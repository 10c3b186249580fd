"""A report's identity — kind, agency, region-qualified agency key, year, publication date —
decided in one place, from what the crawler saw and what the extractor read.

The crawl (pipelines/scrapy_pipelines.py) and re-extraction (pipelines/reextract.py) both call
`settle`; the archive stores what it returns and never second-guesses it. Order of evidence is
documented in docs/report-format.md ("Identity").
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from nianbao import canon, titles
from nianbao.agency import agency_key
from nianbao.agency import level as agency_level


@dataclass(frozen=True)
class Seen:
    """What the crawler saw around a report's bytes: the list entry, the page's file links and
    the source it belongs to. Kept with each version so re-extraction settles the same way."""
    list_title: str | None = None
    list_date: str | None = None
    list_kind: str | None = None      # titles.classify of the list title
    attachments: int = 0              # files the page links to
    images: int = 0                   # content images the page shows
    region: str | None = None         # the source's region (qualifies agency keys)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> "Seen":
        data = data or {}
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if data.get(k) is not None})


@dataclass(frozen=True)
class Identity:
    kind: str
    title: str | None
    agency: str | None
    agency_key: str | None
    level: str | None
    report_year: int | None
    published: str | None


def _page_facts(doc: dict) -> dict:
    """The page's own metas and header table, as the extractor read them."""
    md = doc.get("metadata") or {}
    meta, header = md.get("meta") or {}, md.get("header") or {}
    return {
        "title": meta.get("ArticleTitle"),
        "agency": next((header[k] for k in ("发文机关", "发布机构", "发布单位") if header.get(k)), None),
        "source": meta.get("ContentSource"),
    }


_DOC_KINDS = ("graphic", "attachment_only", "correction")


def settle(seen: Seen, doc: dict) -> Identity:
    """The identity of a report page: title words first (the list's, then the page's), then what
    the extractor read, then the page's metas; the year falls back to publication year − 1."""
    page = _page_facts(doc)
    title = seen.list_title or doc.get("title") or page["title"]
    published = doc.get("published") or seen.list_date
    agency = (titles.agency(title) or titles.agency(doc.get("title")) or doc.get("agency")
              or page["agency"] or page["source"])
    year = (titles.report_year(title) or titles.report_year(doc.get("title")) or doc.get("report_year")
            or titles.report_year(None, published))
    doc_kind = doc.get("kind")
    kind = titles.refine(seen.list_kind, text_len=len(doc.get("body_text") or ""),
                         tables=1 if doc.get("cells") else 0, attachments=seen.attachments,
                         images=seen.images, doc_kind=doc_kind if doc_kind in _DOC_KINDS else None,
                         sections=canon.report_sections(s.get("key") for s in doc.get("sections") or ()
                                                        if isinstance(s, dict)))
    return Identity(kind=kind, title=doc.get("title") or title, agency=agency,
                    agency_key=agency_key(agency, seen.region), level=agency_level(agency),
                    report_year=year, published=published)
