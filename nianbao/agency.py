"""Agency identity: a normalised, region-qualified key (so cross-year checks follow one agency) and
the agency's level, which decides its statutory deadline (docs/checks.md)."""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

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
# 开发区/园区/新区 管委会 and the like: neither a 人民政府 nor one of its 部门.
_ZONE = re.compile(r"(?:管理委员会|管委会|开发区|高新区|园区|新区|试验区|合作区)(?:办公室|办)?$")


def _plain(name: str) -> str:
    s = _SPACES.sub("", unicodedata.normalize("NFKC", name))
    s = _YEAR_PREFIX.sub("", s)
    return s.rpartition("/")[2]   # an agency key: the name after its region qualifier


def level(name: str | None) -> str | None:
    """'government' (县级以上人民政府本级), 'department' (县级以上人民政府部门), 'township'
    (乡镇/街道), 'zone' (开发区/管委会…); None without a name. Accepts a name or an agency key."""
    if not name:
        return None
    s = _plain(name)
    if _TOWNSHIP.search(s):
        return "township"
    if _GOV_LEVEL.search(s) or s in ("国务院",):
        return "government"
    if _ZONE.search(s):
        return "zone"
    return "department"


@dataclass(frozen=True)
class Deadline:
    due: date
    rule: str           # why this date, in words (shown in P-DEADLINE's detail)
    late_status: str    # the status of a report declared after `due`: 'fail' or 'warn'


# 条例第四十九条 names two deadlines: 部门 by 1月31日, 县级以上地方人民政府 本级 by 3月31日. Bodies it
# does not name (乡镇/街道, 开发区/管委会) follow local rules: this default date is assumed and a
# late report only warns. Both are configurable (environment, read at call time).
UNNAMED_DEADLINE_ENV = "NIANBAO_UNNAMED_DEADLINE"        # "MM-DD", default 01-31
UNNAMED_LATE_STATUS_ENV = "NIANBAO_UNNAMED_LATE_STATUS"  # "warn" (default) or "fail"


def deadline(name: str | None, year: int) -> Deadline:
    """THE publication deadline of an agency's report for `year` (docs/checks.md, P-DEADLINE).
    P-DEADLINE (archive/checks/provenance.py) and report_figures (archive/figures.py) both call
    this, so the check and the published tables cannot disagree."""
    lvl = level(name)
    if lvl == "government":
        return Deadline(date(year + 1, 3, 31), "条例第四十九条 县级以上地方人民政府本级: 3月31日", "fail")
    if lvl in ("township", "zone") or lvl is None:
        month, day = (int(x) for x in os.environ.get(UNNAMED_DEADLINE_ENV, "01-31").split("-"))
        status = os.environ.get(UNNAMED_LATE_STATUS_ENV, "warn")
        what = {"township": "乡镇/街道", "zone": "开发区/管委会"}.get(lvl, "机构不明")
        return Deadline(date(year + 1, month, day),
                        f"{what}: 条例第四十九条未规定, {month}月{day}日 assumed",
                        status if status in ("warn", "fail") else "warn")
    return Deadline(date(year + 1, 1, 31), "条例第四十九条 县级以上人民政府部门: 1月31日", "fail")


def display_name(agency: str | None, key: str | None) -> str | None:
    """The agency as a reader can tell it apart: 东湖镇人民政府（闽溪县） when its key is qualified
    by the source's region (闽溪县/东湖镇政府), else the name itself."""
    unit, sep, _ = (key or "").partition("/")
    name = agency or (key or "").rpartition("/")[2] or None
    if sep and unit and name and unit not in name:
        return f"{name}（{unit}）"
    return name
