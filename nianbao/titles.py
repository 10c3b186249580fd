"""What a list item or detail page is, from its title (and the detail's shape): the portal's own
report, a department/township report, a 图解, an attachment-only report, a correction, or noise.

Only titles are read here; report tables are the extractor's business.
"""
from __future__ import annotations

import re
from datetime import date

from nianbao import canon

_REPORT = re.compile(r"(政府)?信息公[开開].{0,8}(工作)?年度?(报告|報告)|信息公[开開]年[报報]|公[开開]工作年度[报報]告"
                     r"|政[务務]公[开開].{0,4}年度[报報]告|信息公[开開].{0,4}年[报報]")

# The 图解 vocabulary, the one list (docs/report-format.md, "Identity": kind): words by which a title names
# a picture edition of a report (a 图解, a long image, a poster) rather than the report itself.
# Written Simplified; the patterns below accept the Traditional forms too (list titles are read as
# printed). The extractor uses them on its titles as well (pipelines/extract). One list for both:
# the union of what each used to know, so "（图片版）" now marks a list title graphic too (the
# extractor already called such pages graphic) and "一图看懂" is cut from the agency.
GRAPHIC_WORDS = ("图解", "一图读懂", "一图看懂", "图说", "图文解读", "图片版", "长图", "海报")
_TRADITIONAL = {"图": "圖", "读": "讀", "说": "說", "长": "長", "报": "報"}


def _either_script(word: str) -> str:
    return "".join(f"[{c}{_TRADITIONAL[c]}]" if c in _TRADITIONAL else re.escape(c) for c in word)


_GRAPHIC_ALT = "|".join(_either_script(w) for w in GRAPHIC_WORDS)
# A 图解 title: a vocabulary word anywhere, or 图文 outside brackets — "（图文）" is a CMS tag put
# before ordinary reports ("(图文)海宁市人民政府2023年度…").
GRAPHIC = re.compile(rf"{_GRAPHIC_ALT}|(?<![（(])[图圖]文(?![）)])")
# A vocabulary word opening a title, with its separator ("图解：…", "一图读懂|…"): cut before the
# agency and year are read from the rest.
GRAPHIC_PREFIX = re.compile(rf"^\s*(?:{_GRAPHIC_ALT})\s*[:：|｜丨\-—]*\s*")
_CORRECTION = re.compile(r"更正|勘误|勘誤")
# Things that mention the report but are not one: notices about compiling it, guides, plans.
_NOISE = re.compile(r"(编制|編制|报送|報送|发布工作|做好).{0,12}(通知|函)|的通知$|指南|工作要点|工作要點|制度$|"
                    r"培训|推进会|办理流程|目录$|情况通报|年度报表|考核|征求意见|公示$|解读会")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PREFIX = re.compile(r"^\s*[（(【\[][^）)】\]]{1,8}[）)】\]]\s*")
_AGENCY_END = re.compile(r"(关于|關於)?(《)?((?:19|20)\d{2}\s*年度?)?\s*(的)?\s*(政府)?(信息公[开開]|政[务務]公[开開])")

KINDS = ("report", "graphic", "attachment_only", "correction", "noise")


def classify(title: str | None) -> str:
    """kind of a list item from its title: report | graphic | correction | noise."""
    t = (title or "").strip()
    if not _REPORT.search(t) or _NOISE.search(t):
        return "noise"
    if _CORRECTION.search(t):
        return "correction"
    if GRAPHIC.search(t):
        return "graphic"
    return "report"


def report_year(title: str | None, published: str | None = None) -> int | None:
    """The year reported on: the title's year, else the publication year minus one."""
    m = _YEAR.search(title or "")
    if m:
        return int(m.group(1))
    if published and re.match(r"(19|20)\d{2}", published):
        return int(published[:4]) - 1
    return None


def agency(title: str | None) -> str | None:
    """The reporting unit named in a report title, e.g. 青山县财政局, 东湖镇人民政府."""
    t = _PREFIX.sub("", (title or "").strip())
    t = re.sub(r"^(关于|關於)\s*《?", "", t)
    t = GRAPHIC_PREFIX.sub("", t)
    t = re.sub(r"^(?:19|20)\d{2}\s*年度?", "", t).strip()
    m = _AGENCY_END.search(t)
    if not m:
        return None
    name = t[:m.start()].strip(" 《》“”\"")
    name = re.sub(r"(?:19|20)\d{2}\s*年度?$", "", name).strip()
    return _simplified(name) or None


def _simplified(text: str) -> str:
    global _T2S
    if _T2S is None:
        import opencc
        _T2S = opencc.OpenCC("t2s")
    return _T2S.convert(text)


_T2S = None


def refine(list_kind: str | None, *, text_len: int, tables: int, attachments: int,
           images: int, doc_kind: str | None = None, sections: int = 0) -> str:
    """The kind once the detail page is known: a page whose body is only a pointer to a file is
    attachment-only, one that is only images is a 图解. Corrections and 图解 titles win. A page
    set out in the report's sections (four or more of the six headings) is the report itself,
    however short its text: its tables may be pictures between the headings."""
    if list_kind in ("correction", "graphic"):
        return list_kind
    if doc_kind in ("graphic", "attachment_only", "correction"):
        return doc_kind
    if tables == 0 and text_len < 400 and sections < canon.SECTIONS_OF_A_REPORT:
        if attachments:
            return "attachment_only"
        if images:
            return "graphic"
    return list_kind or "report"


def published_year(d: str | None) -> int | None:
    try:
        return date.fromisoformat(d[:10]).year if d else None
    except ValueError:
        return None
