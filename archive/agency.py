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


# 县级以上地方人民政府 (本级): the place name before 人民政府 ends in one of these.
_GOV_LEVEL = re.compile(r"(?:省|自治区|市|自治州|州|盟|地区|县|自治县|旗|自治旗|区|特区|林区)(?:人民)?政府$")
_TOWNSHIP = re.compile(r"(?:乡|镇|街道|民族乡|苏木)(?:人民)?政府$|街道办事处$")


def level(name: str | None) -> str | None:
    """'government' (县级以上人民政府本级: deadline 3月31日), 'township' (乡镇/街道: no statutory
    deadline, local rules), 'department' (everything else: 1月31日); None without a name."""
    if not name:
        return None
    s = _SPACES.sub("", unicodedata.normalize("NFKC", name))
    s = _YEAR_PREFIX.sub("", s)
    if _TOWNSHIP.search(s):
        return "township"
    if _GOV_LEVEL.search(s) or s in ("国务院",):
        return "government"
    return "department"
