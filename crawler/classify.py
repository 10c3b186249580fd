"""List titles → what an item is: a report, a 图解, a correction, or noise to skip."""
from __future__ import annotations

import re

_REPORT = re.compile(r"(政府)?信息公开.{0,6}(工作)?年度?报告|信息公开年报|公开工作年度报告|政务公开.{0,4}年度报告")
_GRAPHIC = re.compile(r"图解|一图读懂|图说|图文解读")
_CORRECTION = re.compile(r"更正|勘误")
_YEAR = re.compile(r"(20\d{2}|19\d{2})\s*年")


def classify(title: str | None) -> str:
    t = title or ""
    if not _REPORT.search(t) and "年报" not in t:
        return "noise"
    if _GRAPHIC.search(t):
        return "graphic"
    if _CORRECTION.search(t):
        return "correction"
    return "report"


def report_year(title: str | None) -> int | None:
    m = _YEAR.search(title or "")
    return int(m.group(1)) if m else None
