"""Check results in plain Chinese, with the numbers: `一+二 = 200+27 = 227 ≠ 三(七)+四 = 158+74 = 232`.

Built from the check row itself (expression, cells, expected, actual; docs/checks.md), so the
sentence shows exactly what the checks engine compared. A row whose expression is not an
equation of cell keys gets its Chinese name, status and detail.
"""
from __future__ import annotations

import json
import re

from nianbao import canon

NAMES = {
    "T3-BAL": "表三勾稽关系", "T3-SUM-RESULTS": "表三办理结果之和", "T3-SUM-COLS": "表三各申请人之和",
    "T4-SUM": "表四之和", "T2-DOMAIN": "表二数值", "T3-DOMAIN": "表三数值", "T4-DOMAIN": "表四数值",
    "S-TABLES": "统计表齐全", "S-SECTIONS": "六部分齐全", "S-FORMAT": "表格版式与年度相符",
    "S-EMPTY": "空白单元格", "X-CARRY": "跨年结转", "X-INFORCE": "现行有效件数跨年衔接",
    "X-COPY": "与上年雷同", "P-DEADLINE": "发布时限", "P-CHANGED": "发布后变动",
    "P-DUPLICATE": "各版本形式一致", "S-TEXT-TABLE": "正文数字与表格一致", "X-COPY-OTHER": "与其他机构报告雷同",
}
STATUS = {"pass": "通过", "fail": "未通过", "warn": "提示", "not_assessable": "无法判断"}

_CN_NUM = re.compile(r"^[（(]?([一二三四五六七八九十]+)[)）、.．]")
_SUB_NUM = re.compile(r"^(\d+)[.．、]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CROSS = re.compile(r"^(\w+(?:\.\w+)?)\[(\d{4})\]\[(\w+)\]$")


def short_row(tbl: str, key: str) -> str:
    """The printed numbering of a row: 一, 三(七), 三(三)4 for table 三; the label otherwise."""
    try:
        label = canon.row_label(tbl, key)
    except (StopIteration, KeyError, ValueError):
        return key
    if tbl != "t3":
        return label
    m = _CN_NUM.match(label)
    group = next((k for k in canon.T3_ROWS if k.key == key), None)
    group = group.group if group else None
    if m and not group:
        return m.group(1)                                  # 一、本年新收 → 一
    if m:
        return f"三({m.group(1)})"                          # （七）总计 → 三(七)
    sub = _SUB_NUM.match(label)
    if sub and group in canon.T3_GROUPS:
        head = _CN_NUM.match(canon.T3_GROUPS[group])
        return f"三({head.group(1)}){sub.group(1)}" if head else label
    return label


def _col(tbl: str, key: str) -> str:
    try:
        return canon.col_label(tbl, key)
    except (StopIteration, KeyError, ValueError):
        return key


def _num(text) -> float | None:
    try:
        return float(str(text).replace(",", ""))
    except (TypeError, ValueError):
        return None


def _fmt(v: float | None) -> str:
    if v is None:
        return "空白"
    return str(int(v)) if v == int(v) else f"{v:g}"


def _side(terms: list[str], tbl: str, fixed: str, by_row: bool, cells: dict) -> tuple[str, str, float | None]:
    """(names joined by +, values joined by +, sum) of one side of an equation."""
    names, values, total = [], [], 0.0
    for term in terms:
        term = term.strip()
        if term.startswith("Σ"):
            prefix = term[1:].rstrip("*").rstrip(".") + "."
            keys = [k for k in cells if k.startswith(f"{tbl}/{prefix}") and k.endswith("/" + fixed)]
            vals = [_num(cells[k]) for k in keys]
            head = canon.T3_GROUPS.get(prefix.rstrip("."), prefix)
            m = _CN_NUM.match(head)
            names.append(f"三({m.group(1)})" if m and tbl == "t3" else head)
            v = sum(x for x in vals if x is not None) if keys and None not in vals else None
        else:
            key = f"{tbl}/{fixed}/{term}" if by_row else f"{tbl}/{term}/{fixed}"
            names.append(_col(tbl, term) if by_row else short_row(tbl, term))
            v = _num(cells.get(key)) if key in cells else None
        values.append(_fmt(v))
        total = None if v is None or total is None else total + v
    return "+".join(names), "+".join(values), total


def explain(check: dict) -> str:
    """One Chinese sentence for a check row (escaped by the template)."""
    cid = check.get("check_id") or ""
    status = check.get("status") or ""
    expr = (check.get("expression") or "").split(" (")[0]
    scope = check.get("scope") or ""
    try:
        cells = json.loads(check.get("cells") or "{}")
    except ValueError:
        cells = {}
    cells = cells if isinstance(cells, dict) else {}
    sign = "=" if status == "pass" else "≠" if status in ("fail", "warn") else "?"
    tbl = scope.split("/")[0] if "/" in scope else ""
    if "=" in expr and tbl in canon.TABLES and cells and "[" not in expr:
        fixed = scope.split("/", 1)[1].split()[0]
        by_row = "(this row)" in (check.get("expression") or "")
        left, right = (s.split("+") for s in expr.split("=", 1))
        ln, lv, ls = _side(left, tbl, fixed, by_row, cells)
        rn, rv, rs = _side(right, tbl, fixed, by_row, cells)
        where = short_row(tbl, fixed) if by_row else _col(tbl, fixed)
        lsum = f" = {_fmt(ls)}" if len(left) > 1 else ""
        rsum = f" = {_fmt(rs)}" if len(right) > 1 else ""
        text = f"{where}{'行' if by_row else '列'}：{ln} = {lv}{lsum} {sign} {rn} = {rv}{rsum}"
        if status == "not_assessable":
            return text + "（有空白或非数字，无法判断）"
        if check.get("delta") not in (None, "", 0, 0.0) and status != "pass":
            text += f"（差 {_fmt(_num(check['delta']))}）"
        return text
    if cid == "X-CARRY" and "=" in expr:
        left, right = (s.strip() for s in expr.split("=", 1))
        parts = []
        for side in (left, right):
            m = _CROSS.match(side)
            if not m:
                break
            row, year, col = m.groups()
            v = cells.get(f"{year}:t3/{row}/{col}")
            parts.append(f"{year}年{short_row('t3', row)}（{canon.row_label('t3', row)[2:]}，"
                         f"{_col('t3', col)}）{_fmt(_num(v)) if v is not None else '缺'}")
        if len(parts) == 2:
            return f"{parts[0]} {sign} {parts[1]}"
    head = f"{NAMES.get(cid, cid)}{STATUS.get(status, status)}"
    if cid == "P-DEADLINE" and check.get("expected") and check.get("actual"):
        late = _num(check.get("delta"))
        tail = f"，晚 {_fmt(late)} 天" if late and late > 0 else ""
        return f"{head}：期限 {check['expected']}，声明的发布日期 {check['actual']}{tail}"
    detail = check.get("detail") or ""
    if _CJK.search(detail):
        return f"{head}：{detail}"
    # English details stay in the secondary column; here the numbers the check compared.
    expected, actual = check.get("expected"), check.get("actual")
    if expected not in (None, "") and actual not in (None, ""):
        return f"{head}：应为 {expected}，实际 {actual}"
    return head
