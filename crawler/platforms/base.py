"""What a platform adapter is: recognise a CMS family's list pages and walk them.

An adapter only finds list items and further list pages; it never parses report content.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import scrapy


@dataclass
class ListEntry:
    url: str
    title: str | None = None
    date: str | None = None


class Platform:
    name = "base"

    def matches(self, response) -> bool:
        """Fingerprint: is this list page built by this CMS family?"""
        raise NotImplementedError

    def parse_list(self, response, source) -> Iterable[ListEntry | scrapy.Request]:
        """List entries on this page, and requests for the other pages of the list."""
        raise NotImplementedError
