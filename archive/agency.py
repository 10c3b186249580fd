"""Agency identity: a normalised key so that cross-year checks follow the same agency."""
from __future__ import annotations

import re
import unicodedata

_YEAR_PREFIX = re.compile(r"^\s*(?:19|20)\d{2}\s*年(?:度)?")
_SPACES = re.compile(r"[\s\u3000\xa0]+")
# Variants that name the same reporting unit: "XX县人民政府" and "XX县政府", "办公室" vs "办".
_SUFFIXES = (("人民政府办公室", "政府办"), ("政府办公室", "政府办"), ("人民政府", "政府"))


def agency_key(name: str | None) -> str | None:
    if not name:
        return None
    s = unicodedata.normalize("NFKC", name)
    s = _SPACES.sub("", s)
    s = _YEAR_PREFIX.sub("", s)
    for long, short in _SUFFIXES:
        if s.endswith(long):
            s = s[: -len(long)] + short
            break
    return s or None


def resolve(db, key: str | None) -> str | None:
    """Follow the hand-made `agency_aliases` mapping (renamed agencies) to the canonical key."""
    seen = set()
    while key and key not in seen:
        seen.add(key)
        row = db.execute("SELECT agency_key FROM agency_aliases WHERE alias_key = ?", [key]).fetchone()
        if not row:
            break
        key = row[0]
    return key
