"""Figures the report's text states about its own tables (docs/checks.md, S-TEXT-TABLE).

`stated_figures(text)` is a pure function: body text → `StatedFigure`s, each with the phrase,
its sentence, the number (Arabic, full-width or Chinese numerals; cn2an reads the latter), and
whether it is approximate (余/约/近/超过/逾/多/以上/左右). Only the common phrasings are read:
共受理/收到…申请N件, 新收…N件, 办结/办理完毕/答复N件, 结转下年度N件, 按时答复N件, 行政复议N件, 行政诉讼N件 (and
its two kinds), 主动公开政府信息N条, 制发/印发/发布 规范性文件 (规章) N件, 废止…N件, 现行有效…N件,
and the usual "no application / no review or lawsuit" sentences as 0. A phrase that is not
recognised is simply not a stated figure: the check never guesses.

`CLAIMS` says which canonical cells each claim is about. A claim may have several readings
(受理 is 新收 or 新收+上年结转); the check passes when the text matches any of them and says
which one. Keys come from nianbao.canon and are verified against it when this module loads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao import canon
from nianbao.model import StatedFigure

from .decode import for_matching


@dataclass(frozen=True)
class Claim:
    label: str                       # what the text claims, in Chinese
    readings: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]   # (name, cells summed)
    op: str = "eq"                   # "eq": the number is the table's; "le": at most the table's


def _cell(t: str, row: str, col: str) -> tuple[str, str, str]:
    if not any(k.key == row for k in canon.ROWS[t]) or not any(k.key == col for k in canon.COLS[t]):
        raise KeyError(f"not a canonical cell: {t}/{row}/{col}")
    return (t, row, col)


_T3 = "total"
_NEW = _cell("t3", "new_received", _T3)
_CARRIED = _cell("t3", "carried_over", _T3)
_PROCESSED = _cell("t3", "total_processed", _T3)
_FORWARD = _cell("t3", "carried_forward", _T3)
_REVIEW = _cell("t4", "admin_review", "total")
_LIT_DIRECT = _cell("t4", "litigation_direct", "total")
_LIT_AFTER = _cell("t4", "litigation_after_review", "total")


def _t2(row: str, *cols: str) -> tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]:
    return tuple((f"{canon.row_label('t2', row)}{canon.col_label('t2', c)}", (_cell("t2", row, c),))
                 for c in cols)


CLAIMS: dict[str, Claim] = {
    "t3.received": Claim("受理/收到申请", (("本年新收", (_NEW,)), ("新收+上年结转", (_NEW, _CARRIED))),),
    "t3.new_received": Claim("本年新收申请", (("本年新收", (_NEW,)),)),
    "t3.carried_over": Claim("上年结转申请", (("上年结转", (_CARRIED,)),)),
    "t3.processed": Claim("办结申请", (("（七）总计", (_PROCESSED,)),)),
    "t3.carried_forward": Claim("结转下年度继续办理", (("结转下年度", (_FORWARD,)),)),
    "t3.on_time": Claim("按时答复申请", (("（七）总计", (_PROCESSED,)),), op="le"),
    "t4.review": Claim("行政复议", (("行政复议总计", (_REVIEW,)),)),
    "t4.litigation": Claim("行政诉讼", (("两类行政诉讼总计之和", (_LIT_DIRECT, _LIT_AFTER)),)),
    "t4.litigation_direct": Claim("未经复议直接起诉", (("未经复议直接起诉总计", (_LIT_DIRECT,)),)),
    "t4.litigation_after_review": Claim("复议后起诉", (("复议后起诉总计", (_LIT_AFTER,)),)),
    # Table 二 lists selected categories only: no cell holds the total of 主动公开 items.
    "t2.published": Claim("主动公开政府信息（条数）", ()),
    "t2.normative_docs.issued": Claim("制发规范性文件", _t2("normative_docs", "issued_this_year", "newly_made")),
    # 发布 may mean "issued this year" or "published (all in force)": either reading.
    "t2.normative_docs.published": Claim("发布规范性文件", _t2("normative_docs", "issued_this_year", "in_force",
                                                                "newly_made", "newly_published")),
    "t2.normative_docs.repealed": Claim("废止规范性文件", _t2("normative_docs", "repealed_this_year")),
    "t2.normative_docs.in_force": Claim("现行有效规范性文件", _t2("normative_docs", "in_force")),
    "t2.regulations.issued": Claim("制发规章", _t2("regulations", "issued_this_year", "newly_made")),
    "t2.regulations.repealed": Claim("废止规章", _t2("regulations", "repealed_this_year")),
    "t2.regulations.in_force": Claim("现行有效规章", _t2("regulations", "in_force")),
}

# ------------------------------------------------------------------ numbers
_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_APPROX_BEFORE = ("约", "近", "将近", "接近", "超过", "逾", "大约", "多达")
_APPROX_AFTER = ("余", "多")
G = r"[^，,。；;！？!?\n]{{0,{}}}?"      # a gap that stays inside one clause
NUM = (r"(?P<pre>将近|接近|超过|大约|多达|约|近|逾)?"
       rf"(?P<num>\d[\d,]*(?:\.\d+)?|[{_CN_DIGITS}]+)(?P<wan>万)?(?P<post>余|多)?"
       r"(?P<unit>件|条|份|宗|起)(?P<after>以上|左右)?")
_YEAR = re.compile(r"(?<!\d)(20\d\d)\s*年(?!度?(?:以来|以前|之前|前|底前))")


def parse_number(num: str, wan: str | None = None) -> int | float | None:
    """'1,234' / '十七' / '两千零五' (+ 万) → a number; None when it is not one."""
    if num[0].isdigit():
        try:
            v = float(num.replace(",", ""))
        except ValueError:
            return None
    else:
        import cn2an  # loaded only for texts that spell numbers in Chinese
        try:
            v = float(cn2an.cn2an(num, "smart"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
    if wan:
        v *= 10000
    return int(v) if v == int(v) else v


# ------------------------------------------------------------------ phrasings
_APPLY = r"(?:政府信息公开|依申请公开|信息公开|公开)"
_NOT_APPLY = re.compile(r"复议|诉讼|起诉|来信|建议|提案|咨询|留言|信访|投诉|举报|热线|邮件|意见")
# (claim, pattern, words the gap between the keyword and the number must not hold)
_PATTERNS: list[tuple[str, re.Pattern, re.Pattern | None]] = [
    ("t3.new_received", re.compile(rf"新收(?:{G.format(12)}申请)?{G.format(8)}{NUM}"), _NOT_APPLY),
    ("t3.carried_forward", re.compile(rf"结转(?:至|到)?下(?:一)?年(?:度)?(?:继续办理)?{G.format(4)}{NUM}"), None),
    ("t3.carried_over", re.compile(rf"上年(?:度)?结转(?:{G.format(12)}申请)?{G.format(6)}{NUM}"), _NOT_APPLY),
    ("t3.received", re.compile(rf"(?:受理|收到|接收|收悉){G.format(16)}{_APPLY}{G.format(10)}{NUM}"), _NOT_APPLY),
    ("t3.received", re.compile(rf"(?:受理|收到|接收){G.format(10)}申请{G.format(8)}{NUM}"), _NOT_APPLY),
    ("t3.received", re.compile(rf"(?:受理|收到)(?:了)?{NUM}"), None),
    ("t3.on_time", re.compile(rf"(?:按时|按期|如期){G.format(4)}(?:答复|办结|回复){G.format(12)}{NUM}"), _NOT_APPLY),
    ("t3.processed", re.compile(rf"(?:办结|办理完毕|答复|回复){G.format(12)}{NUM}"), _NOT_APPLY),
    ("t4.litigation_direct", re.compile(rf"未经(?:行政)?复议直接(?:提起行政诉讼|起诉){G.format(6)}{NUM}"), None),
    ("t4.litigation_after_review", re.compile(rf"(?<!未经)(?<!未经行政)复议后(?:提起行政诉讼|起诉){G.format(6)}{NUM}"),
     None),
    ("t4.review", re.compile(rf"行政复议(?:案件|申请)?{G.format(8)}{NUM}"), re.compile(r"诉讼|起诉|直接")),
    ("t4.litigation", re.compile(rf"(?:行政诉讼|行政应诉)(?:案件)?{G.format(8)}{NUM}"), re.compile(r"复议")),
    ("t2.published", re.compile(rf"主动公开{G.format(6)}信息{G.format(6)}{NUM}"), re.compile(r"申请")),
]
_DOCS = r"(?P<doc>规章|(?:行政)?规范性文件)"
_DOC_VERBS = {"issued": r"制发|印发|出台|制定", "published": r"发布", "repealed": r"废止"}
for _what, _verb in _DOC_VERBS.items():
    # 制发规范性文件N件 / 制发N件规范性文件
    _PATTERNS.append((f"t2.doc.{_what}", re.compile(rf"(?:{_verb})(?:了)?{_DOCS}{G.format(4)}{NUM}"), None))
    _PATTERNS.append((f"t2.doc.{_what}", re.compile(rf"(?:{_verb})(?:了)?{G.format(4)}{NUM}(?:的)?{_DOCS}"), None))
_PATTERNS.append(("t2.doc.in_force", re.compile(rf"现行有效(?:的)?{_DOCS}{G.format(4)}{NUM}"), None))
_PATTERNS.append(("t2.doc.in_force", re.compile(rf"{_DOCS}现行有效{G.format(4)}{NUM}"), None))

# "nothing of the kind happened": figures of 0
_ZERO_APPLY = re.compile(r"(?:未|没有)(?:收到|受理|接到)(?:任何)?(?:政府信息公开|依申请公开|信息公开)申请(?!后)")
_ZERO_REVIEW_LIT = re.compile(
    r"(?:未|没有)(?:发生|产生|出现)[^。；;\n，,]{0,30}?(?:行政复议、(?:提起)?行政诉讼|行政复议和行政诉讼|行政复议或行政诉讼)"
    r"(?:的)?(?:情况|事件|情形|案件|事项)")

MAX_FIGURES = 200   # a real report states a few dozen; the rest of a pathological text is not read
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


def _sentences(text: str):
    for m in _SENTENCE.finditer(text):
        if m.group().strip():
            yield m.start(), m.group()


def _doc_claim(what: str, doc: str) -> str:
    return f"t2.{'regulations' if doc == '规章' else 'normative_docs'}.{what}"


def stated_figures(text: str) -> list[StatedFigure]:
    """Every recognised stated figure of `text`, in order. Lines that look like table rows
    (pipes) are skipped: the table itself is not a statement about the table."""
    norm = for_matching(text or "")
    out: list[StatedFigure] = []
    for start, sent in _sentences(norm):
        if "|" in sent or "申请" not in sent and "复议" not in sent and "诉讼" not in sent \
                and "公开" not in sent and "文件" not in sent and "规章" not in sent:
            continue
        years = {int(y) for y in _YEAR.findall(sent)}
        year = next(iter(years)) if len(years) == 1 else None
        taken: list[tuple[int, int]] = []
        found: list[StatedFigure] = []

        def add(claim: str, number, approx: bool, s: int, e: int) -> None:
            if any(s < te and ts < e for ts, te in taken):
                return
            taken.append((s, e))
            found.append(StatedFigure(claim, number, approx, sent[s:e], sent.strip(),
                                      (start + s, start + e), year))

        for m in _ZERO_APPLY.finditer(sent):
            add("t3.received", 0, False, m.start(), m.end())
        for m in _ZERO_REVIEW_LIT.finditer(sent):
            add("t4.review", 0, False, m.start(), m.end())
            found.append(StatedFigure("t4.litigation", 0, False, m.group(), sent.strip(),
                                      (start + m.start(), start + m.end()), year))
        for claim, pat, forbid in _PATTERNS:
            for m in pat.finditer(sent):
                body = m.group()[:m.start("num") - m.start()]
                if forbid is not None and forbid.search(body):
                    continue
                if claim.startswith("t3.") and claim != "t3.new_received" and "申请" not in sent[:m.end()]:
                    continue   # 受理/办结 N件 about something other than applications
                number = parse_number(m.group("num"), m.group("wan"))
                if number is None:
                    continue
                approx = bool(m.group("pre") or m.group("post") or m.group("after"))
                if claim.startswith("t2.doc."):
                    claim = _doc_claim(claim.rsplit(".", 1)[1], m.group("doc"))
                add(claim, number, approx, m.start(), m.end())
        out.extend(sorted(found, key=lambda f: f.span))
        if len(out) >= MAX_FIGURES:
            return out[:MAX_FIGURES]
    return out
