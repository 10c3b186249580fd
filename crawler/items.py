"""What the spider hands the pipelines: fetched bytes with their capture and list context."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReportItem:
    source_id: str
    url: str
    capture_id: int | None
    body: bytes | None            # None when the server answered 304 (unchanged)
    headers: dict = field(default_factory=dict)
    list_title: str | None = None
    list_date: str | None = None
    kind: str | None = None       # from the list title: report, graphic, correction
    not_modified: bool = False
    page: dict = field(default_factory=dict)    # the page's own metas / header table (fallbacks)
    links: dict = field(default_factory=dict)   # counts of attachments, images, tables on the page


@dataclass
class AttachmentItem:
    source_id: str
    report_url: str
    url: str
    capture_id: int | None
    body: bytes | None
    headers: dict = field(default_factory=dict)
    filename: str | None = None
    not_modified: bool = False
    role: str | None = "attachment"   # attachment | image
