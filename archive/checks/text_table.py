"""S-TEXT-TABLE: the figures the report's text states agree with its own tables.

One result per stated figure (pipelines/extract/stated.py reads them from the body text; a
document stored before the extractor read them gets them read from its stored body text). The
figure's claim names the cell(s) it is about (`stated.CLAIMS`), possibly with several readings
(受理 = 本年新收, or 新收 + 上年结转): it passes when it matches any reading, and `detail` says which.

- `fail`: an exact figure differs from every reading it can be compared with.
- `warn`: an approximate figure (余/约/近/超过…) differs: it is never a `fail`.
- `not_assessable`: no table cell holds what the text counts (主动公开 N 条), a cell is blank or
  missing, or the sentence names another year.
"""
from __future__ import annotations

import math
import re

from archive.checks.tables import COUNT_SEMANTICS, Cells, _cell_ref, _num, _result
from nianbao.model import StatedFigure
from pipelines.extract.stated import CLAIMS, stated_figures

CHECK_ID = "S-TEXT-TABLE"
APPROX_TOLERANCE = 0.2   # an approximate figure within 20% of the table is read as agreeing
EPS = 1e-6


def figures_of(doc: dict) -> list[StatedFigure]:
    """The document's stated figures; read from its body text when it predates them."""
    if "stated" in doc and doc["stated"] is not None:
        return [StatedFigure.from_json(f) for f in doc["stated"]]
    return stated_figures(doc.get("body_text") or "")


_LOWER_BOUND = re.compile(r"余|多|超过|逾|以上")


def _agrees(number: float, table: float, fig: StatedFigure, op: str) -> bool:
    if op == "le":
        return number <= table + EPS
    if not fig.approx:
        return abs(number - table) < EPS
    if _LOWER_BOUND.search(fig.phrase):   # 20余件: 20 ≤ n < 30; 100余件: 100 ≤ n < 200
        step = 10 ** max(0, math.floor(math.log10(number))) if number >= 10 else 1
        return number - EPS <= table < number + step
    return abs(number - table) <= APPROX_TOLERANCE * max(abs(table), 1)   # 约/近/左右


def judge(fig: StatedFigure, cells: Cells, report_year: int | None) -> dict:
    claim = CLAIMS.get(fig.claim)
    where = f"text/{fig.claim}"
    expr = f"stated {fig.claim} = table"
    said = f"正文“{fig.phrase}”"
    if claim is None:
        return _result(CHECK_ID, "not_assessable", where, expr, None, fig.number, None,
                       f"{said}：未知的说法 {fig.claim}")
    if claim.op == "le":
        expr = f"stated {fig.claim} ≤ table"
    if not claim.readings:
        return _result(CHECK_ID, "not_assessable", where, expr, None, fig.number, None,
                       f"{said}：表格中没有对应的单元格（{claim.label}）")
    if fig.year is not None and report_year is not None and fig.year != report_year:
        return _result(CHECK_ID, "not_assessable", where, expr, None, fig.number, None,
                       f"{said}：句中年份 {fig.year} 不是报告年度 {report_year}")
    refs: dict[str, str | None] = {}
    compared: list[tuple[str, float, tuple]] = []
    blank: list[str] = []
    for name, keys in claim.readings:
        total, ok = 0.0, True
        for key in keys:
            cell = cells.get(*key)
            if cell is None:
                ok = False   # this reading's cell is not in the report's layout/format
                continue
            ref, raw = _cell_ref(*key, cell)
            refs[ref] = raw
            if cell.get("semantic") in COUNT_SEMANTICS and cell.get("value") is not None:
                total += float(cell["value"])
            else:
                ok = False
                blank.append(name)
        if ok:
            compared.append((name, total, keys))
    number = float(fig.number)
    approx = " (approximate)" if fig.approx else ""
    for name, total, keys in compared:
        if _agrees(number, total, fig, claim.op):
            res = _result(CHECK_ID, "pass", where, expr, _num(total), fig.number, _num(number - total),
                          f"{said}与表格{name} {_fmt(total)} 相符" + ("（约数）" if fig.approx else ""))
            res["cells"] = {r: v for r, v in refs.items() if tuple(r.split("/")) in keys}
            # A pass quotes its phrase only: nothing to look up, and the sentence is in the
            # version's `stated` (it was a third of the bytes of all checks).
            return res
    if not compared:
        why = f"表格{'、'.join(dict.fromkeys(blank))}空白或不是数字" if blank else "表格中没有这个单元格"
        return _with_sentence(_result(CHECK_ID, "not_assessable", where, expr, None, fig.number, None,
                                      f"{said}：{why}", refs), fig)
    name, total, keys = compared[0]
    others = "；".join(f"{n} {_fmt(t)}" for n, t, _ in compared[1:])
    status = "warn" if fig.approx else "fail"
    detail = (f"{said}为 {_fmt(number)}{'（约数）' if fig.approx else ''}，表格{name}为 {_fmt(total)}，"
              f"差 {_fmt(number - total)}" + (f"（另一读法 {others} 也不符）" if others else "") + approx)
    return _with_sentence(_result(CHECK_ID, status, where, expr, _num(total), fig.number, _num(number - total),
                                  detail, refs), fig)


def _with_sentence(res: dict, fig: StatedFigure) -> dict:
    # The sentence is what a reader needs to find the statement in the text.
    res["detail"] = f"{res['detail']}。原句：{fig.sentence[:300]}"
    return res


def _fmt(v: float) -> str:
    return str(int(v)) if abs(v - round(v)) < EPS else f"{v:g}"


def run(doc: dict) -> list[dict]:
    """One S-TEXT-TABLE result per stated figure; a single not_assessable when there is none."""
    figs = figures_of(doc)
    if doc.get("kind") in ("correction", "graphic"):
        return [_result(CHECK_ID, "not_assessable", "text", "stated figures = table",
                        detail=f"{doc['kind']}: not the report's own text")]
    if not figs:
        return [_result(CHECK_ID, "not_assessable", "text", "stated figures = table",
                        detail="no figure stated in the text in a recognised phrasing")]
    cells = Cells(doc)
    out = [judge(f, cells, doc.get("report_year")) for f in figs]
    # Several results may share a scope (受理 said twice): number them so each row is distinct.
    seen: dict[str, int] = {}
    for r in out:
        n = seen[r["scope"]] = seen.get(r["scope"], 0) + 1
        if n > 1:
            r["scope"] = f"{r['scope']}#{n}"
    return out
