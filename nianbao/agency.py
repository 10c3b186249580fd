"""Agency identity: a normalised, region-qualified key (so cross-year checks follow one agency) and
the agency's level, which decides its statutory deadline (docs/checks.md)."""
from __future__ import annotations

import re
import unicodedata

_YEAR_PREFIX = re.compile(r"^\s*(?:19|20)\d{2}\s*年(?:度)?")
_SPACES = re.compile(r"[\s\u3000\xa0]+")
# Variants that name the same reporting unit: "XX县人民政府" and "XX县政府", "办公室" vs "办".
_SUFFIXES = (("人民政府办公室", "政府办"), ("政府办公室", "政府办"), ("人民政府", "政府"))


_ADMIN_UNIT = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|区|县|州|旗|盟)")


def region_unit(region: str | None) -> str | None:
    """The smallest administrative unit named by a source's region (浙江省嘉兴市海宁市 → 海宁市)."""
    if not region:
        return None
    r = _SPACES.sub("", unicodedata.normalize("NFKC", region))
    units = _ADMIN_UNIT.findall(r)
    return units[-1] if units else r or None


def agency_key(name: str | None, region: str | None = None) -> str | None:
    """Normalised agency key. Names like 城关镇人民政府 or 教育局 recur all over China, so a name
    that does not itself name its place is qualified by the source's region: 岭南县/城关镇政府."""
    if not name:
        return None
    s = unicodedata.normalize("NFKC", name)
    s = _SPACES.sub("", s)
    s = _YEAR_PREFIX.sub("", s)
    for long, short in _SUFFIXES:
        if s.endswith(long):
            s = s[: -len(long)] + short
            break
    unit = region_unit(region)
    if s and unit and unit not in s:
        s = f"{unit}/{s}"
    return s or None


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
