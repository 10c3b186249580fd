"""Agency identity: a normalised key so that cross-year checks follow the same agency."""
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


def source_region(db, source_id: str | None) -> str | None:
    if not source_id:
        return None
    conn = getattr(db, "conn", db)
    row = conn.execute("SELECT region FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else None


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


def link(db, alias_name: str, canonical_name: str, note: str | None = None,
         region: str | None = None) -> list[int]:
    """Record by hand that `alias_name` is the same agency as `canonical_name` (rename, 机构改革)
    and re-run the cross-year checks of the reports concerned. Returns their ids."""
    from archive.checks import refresh_cross_year
    from archive.checks.cross_year import agency_group
    conn = getattr(db, "conn", db)
    alias, canonical = agency_key(alias_name, region), agency_key(canonical_name, region)
    if not alias or not canonical or alias == canonical:
        return []
    conn.execute("INSERT INTO agency_aliases (alias_key, agency_key, note) VALUES (?, ?, ?) "
                 "ON CONFLICT(alias_key) DO UPDATE SET agency_key = excluded.agency_key, "
                 "note = excluded.note", [alias, canonical, note])
    keys = agency_group(conn, canonical)
    marks = ",".join("?" * len(keys))
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM reports WHERE agency_key IN ({marks}) ORDER BY report_year", keys)]
    for rid in ids:
        refresh_cross_year(conn, rid)
    return ids
