"""What the spider hands the pipelines: fetched bytes with their capture and list context."""
from __future__ import annotations

from dataclasses import dataclass, field

from nianbao.identity import Seen


@dataclass
class ReportItem:
    source_id: str
    url: str
    capture_id: int | None
    body: bytes | None            # None when the server answered 304 (unchanged)
    headers: dict = field(default_factory=dict)
    seen: Seen = field(default_factory=Seen)    # the list entry, the page's links, the source
    not_modified: bool = False


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
