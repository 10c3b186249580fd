"""Within-report checks (docs/checks.md): pure functions over the extract JSON.

`run(doc)` returns one dict per result with keys id, status, scope, expression, expected,
actual, delta, detail, cells (the operands: {"t3/granted/total": "12", …}, printed text, ""
for a blank, null for a missing cell) and if_blanks_zero. Sums state `actual = expected`:
`actual` is the printed total, `expected` the sum of its parts, `delta = actual - expected`.

A blank or NA operand is never 0: the result is `not_assessable`, and `if_blanks_zero` tells
whether it would pass if blanks were 0 (many agencies leave zeros blank).
"""
from __future__ import annotations

from nianbao import canon

CHECKS_VERSION = "5"   # stamped on every result; bump to make `nianbao reextract` re-run checks
EPS = 1e-6
COUNT_SEMANTICS = (canon.NUMERIC, canon.ZERO)

# The operands of the table checks: t3_checks/t4_checks compute with them, the report page
# (archive/datasette/report_page.py) highlights them through `involved_cells`.
T3_BAL_LEFT = ("new_received", "carried_over")
T3_BAL_RIGHT = ("total_processed", "carried_forward")
T3_OTHER_SPLIT = ("other.no_correction", "other.fee_unpaid", "other.other")
T3_RESULT_PARTS = tuple(k.key for k in canon.T3_ROWS
                        if k.key.split(".")[0] in ("denied", "unable", "not_processed"))
T4_PARTS = ("upheld", "corrected", "other", "pending")
CARRY = ("carried_over", "carried_forward")   # X-CARRY: this year's row = last year's row


def _version() -> str:
    return CHECKS_VERSION   # the module global, read at call time (tests bump it)


class Cells:
    """(table, row, col) → cell dict, from doc['cells'] (or doc['tables'] when cells are absent)."""

    def __init__(self, doc: dict):
        self.map: dict[tuple[str, str, str], dict] = {}
        for c in doc.get("cells") or []:
            self.map[(c["table"], c["row"], c["col"])] = c
        if not self.map:
            for tbl, rows in (doc.get("tables") or {}).items():
                for row, cols in (rows or {}).items():
                    for col, v in (cols or {}).items():
                        sem = canon.EMPTY if v is None else (canon.ZERO if v == 0 else canon.NUMERIC)
                        self.map[(tbl, row, col)] = {"table": tbl, "row": row, "col": col,
                                                     "raw": None if v is None else str(v),
                                                     "value": v, "semantic": sem}
        self.tables = {k[0] for k in self.map}
        self.rows: dict[str, list[str]] = {}
        for (t, r, _c) in self.map:
            if r not in self.rows.setdefault(t, []):
                self.rows[t].append(r)

    def get(self, t: str, r: str, c: str) -> dict | None:
        return self.map.get((t, r, c))

    def has_row(self, t: str, r: str) -> bool:
        return r in self.rows.get(t, ())


def _cell_ref(t: str, r: str, c: str, cell: dict | None) -> tuple[str, str | None]:
    """An operand as stored with a result: "table/row/col" → printed text ("" blank, None when
    the cell is missing). Value, semantic and locator are on the cell's own row (same version)."""
    return f"{t}/{r}/{c}", (None if cell is None else (cell.get("raw") or ""))


def _num(x: float) -> float | int:
    return int(round(x)) if abs(x - round(x)) < EPS else round(x, 6)


def _result(cid: str, status: str, scope: str, expression: str = "", expected=None, actual=None,
            delta=None, detail: str = "", cells: list | None = None,
            if_blanks_zero: str | None = None) -> dict:
    return {"id": cid, "version": _version(), "status": status, "scope": scope,
            "expression": expression, "expected": expected, "actual": actual, "delta": delta,
            "detail": detail, "cells": dict(cells or {}), "if_blanks_zero": if_blanks_zero}


def equation(cid: str, scope: str, cells: Cells, left: list[tuple[str, str, str]],
             right: list[tuple[str, str, str]], expression: str) -> dict:
    """Check Σleft = Σright: `actual` = Σleft (the printed side), `expected` = Σright (what it
    should equal). A blank/NA/missing operand makes the result not assessable."""
    refs, blanks, bad_text = [], [], []
    sums = []
    for side in (left, right):
        total = 0.0
        for key in side:
            cell = cells.get(*key)
            refs.append(_cell_ref(*key, cell))
            sem = cell.get("semantic") if cell else None
            if cell is not None and sem in COUNT_SEMANTICS and cell.get("value") is not None:
                total += float(cell["value"])
            elif sem == canon.TEXT:
                bad_text.append("/".join(key[1:]))
            else:
                blanks.append("/".join(key[1:]))
        sums.append(total)
    actual, expected = sums
    delta = actual - expected
    ok = abs(delta) < EPS
    if not blanks and not bad_text:
        return _result(cid, "pass" if ok else "fail", scope, expression, _num(expected),
                       _num(actual), _num(delta),
                       "" if ok else f"差 {_num(delta)}", refs)
    n_op = len(left) + len(right)
    if len(blanks) + len(bad_text) == n_op:
        return _result(cid, "not_assessable", scope, expression, None, None, None,
                       "all operands blank or not numeric", refs, None)
    detail = []
    if blanks:
        detail.append("blank/NA: " + ", ".join(blanks))
    if bad_text:
        detail.append("text: " + ", ".join(bad_text))
    zero = None
    if not bad_text:
        zero = "pass" if ok else "fail"
        detail.append("would pass if blanks were 0" if ok
                      else f"would fail even if blanks were 0 (差 {_num(delta)})")
    return _result(cid, "not_assessable", scope, expression, None, None, None, "; ".join(detail),
                   refs, zero)


# ---------------------------------------------------------------- table 三
def _other_rows(cells: Cells, fmt: str | None) -> list[str]:
    split = list(T3_OTHER_SPLIT)
    if any(cells.has_row("t3", r) for r in split):
        return split
    if cells.has_row("t3", "other.total") or fmt == canon.FORMAT_2019:
        return ["other.total"]
    return split


def _result_rows(cells: Cells, fmt: str | None) -> list[str]:
    return ["granted", "partially_granted", *T3_RESULT_PARTS, *_other_rows(cells, fmt)]


def t3_checks(cells: Cells, fmt: str | None) -> list[dict]:
    if "t3" not in cells.tables:
        return [_result(cid, "not_assessable", "t3", detail="table 三 not found")
                for cid in ("T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS")]
    out = []
    cols = [c.key for c in canon.T3_COLS]
    for col in cols:
        out.append(equation(
            "T3-BAL", f"t3/{col}", cells,
            [("t3", r, col) for r in T3_BAL_LEFT], [("t3", r, col) for r in T3_BAL_RIGHT],
            "new_received + carried_over = total_processed + carried_forward (this column)"))
    parts = _result_rows(cells, fmt)
    groups = []
    for r in parts:  # "granted + … + Σdenied.*": short, the operands are listed in `cells`
        g = r.split(".")[0] + ".*" if "." in r else r
        if g not in groups:
            groups.append(g)
    results_expr = "total_processed = " + " + ".join(
        ("Σ" + g) if g.endswith(".*") else g for g in groups) + " (this column)"
    for col in cols:
        out.append(equation("T3-SUM-RESULTS", f"t3/{col}", cells, [("t3", "total_processed", col)],
                            [("t3", r, col) for r in parts], results_expr))
    for row in cells.rows.get("t3", []):
        out.append(equation(
            "T3-SUM-COLS", f"t3/{row}", cells, [("t3", row, "total")],
            [("t3", row, c) for c in canon.T3_APPLICANT_COLS],
            "total = " + " + ".join(canon.T3_APPLICANT_COLS) + " (this row)"))
    return out


# ---------------------------------------------------------------- table 四
def t4_checks(cells: Cells) -> list[dict]:
    if "t4" not in cells.tables:
        return [_result("T4-SUM", "not_assessable", "t4", detail="table 四 not found")]
    return [equation("T4-SUM", f"t4/{r.key}", cells, [("t4", r.key, "total")],
                     [("t4", r.key, p) for p in T4_PARTS],
                     "total = upheld + corrected + other + pending (this row)")
            for r in canon.T4_ROWS]


# ---------------------------------------------------------------- domains
def domain_check(table: str, cells: Cells) -> dict:
    cid = f"{table.upper()}-DOMAIN"
    if table not in cells.tables:
        return _result(cid, "not_assessable", table, detail=f"table {table} not found")
    fails, warns, refs, n = [], [], [], 0
    for (t, r, c), cell in cells.map.items():
        if t != table:
            continue
        sem, v = cell.get("semantic"), cell.get("value")
        where = f"{r}/{c}"
        if sem == canon.TEXT:
            warns.append(f"{where} not a number ({cell.get('raw')!r})")
            refs.append(_cell_ref(t, r, c, cell))
            continue
        if sem not in COUNT_SEMANTICS or v is None:
            continue
        n += 1
        signed = table == "t2" and c in canon.T2_SIGNED_COLS
        decimal = table == "t2" and c in canon.T2_DECIMAL_COLS
        if v < 0 and not signed:
            fails.append(f"{where} negative ({v})")
            refs.append(_cell_ref(t, r, c, cell))
        elif not decimal and abs(float(v) - round(float(v))) > EPS:
            fails.append(f"{where} not an integer ({v})")
            refs.append(_cell_ref(t, r, c, cell))
    expr = ("counts are non-negative integers"
            + ("; items_change may be negative; fees are decimals" if table == "t2" else ""))
    if fails:
        return _result(cid, "fail", table, expr, 0, len(fails), len(fails),
                       "; ".join(fails + warns), refs)
    if warns:
        return _result(cid, "warn", table, expr, 0, len(warns), len(warns), "; ".join(warns), refs)
    if n == 0:
        return _result(cid, "not_assessable", table, expr, detail="no numeric cells")
    return _result(cid, "pass", table, expr, 0, 0, 0, f"{n} numeric cells")


# ---------------------------------------------------------------- structure
def _section_keys(doc: dict) -> list[str] | None:
    secs = doc.get("sections")
    if not secs:
        return None
    if isinstance(secs, dict):
        secs = [{"key": k, **(v if isinstance(v, dict) else {})} for k, v in secs.items()]
    wanted = {s.key: [canon.label_key(label, keep_numbering=True) for label in s.labels()]
              for s in canon.SECTIONS}
    loose = {s.key: [canon.label_key(label) for label in s.labels()] for s in canon.SECTIONS}
    keys = []
    for s in secs:
        if isinstance(s, dict):
            k = s.get("key")
            title = s.get("title") or s.get("heading") or s.get("label") or ""
        else:
            k, title = None, str(s)
        if k not in wanted:
            k = None
            t = canon.label_key(title, keep_numbering=True)
            for key, labels in wanted.items():
                if t in labels:
                    k = key
                    break
            if k is None:
                t = canon.label_key(title)
                k = next((key for key, labels in loose.items() if t in labels), None)
        if k and k not in keys:
            keys.append(k)
    return keys


# Kinds that are not the report itself: a 更正 notice republishes only what it corrects, a 图解
# is pictures. They need neither the six sections nor the tables (docs/checks.md).
NOT_A_REPORT = {"correction": "更正 notice", "graphic": "图解"}


def sections_check(doc: dict) -> dict:
    keys = _section_keys(doc)
    order = [s.key for s in canon.SECTIONS]
    expr = "sections 一…六 present, in order"
    if doc.get("kind") in NOT_A_REPORT:
        return _result("S-SECTIONS", "not_assessable", "sections", expr,
                       detail=f"{NOT_A_REPORT[doc['kind']]}: not a report, needs no six sections")
    if keys is None:
        return _result("S-SECTIONS", "not_assessable", "sections", expr,
                       detail="no sections extracted")
    missing = [s.label for s in canon.SECTIONS if s.key not in keys]
    in_order = [k for k in keys if k in order]
    out_of_order = in_order != sorted(in_order, key=order.index)
    if missing or out_of_order:
        detail = []
        if missing:
            detail.append("missing: " + "、".join(missing))
        if out_of_order:
            detail.append("order: " + ",".join(in_order))
        return _result("S-SECTIONS", "fail", "sections", expr, 6, len(keys), len(keys) - 6,
                       "; ".join(detail))
    return _result("S-SECTIONS", "pass", "sections", expr, 6, 6, 0)


def expected_format(year) -> str | None:
    if not isinstance(year, int):
        return None
    if year <= 2018:
        return canon.FORMAT_LEGACY
    return canon.FORMAT_2019 if year <= 2020 else canon.FORMAT_2021


def format_drift(doc: dict, fmt: str) -> list[str]:
    """Rows and columns printed in the other format's layout inside a report of format `fmt`:
    a 2021 report whose table 三 prints （六）其他处理 as the one 2019 row, 2019 columns in a 2021
    table 二… (local extra rows are not drift)."""
    if fmt not in (canon.FORMAT_2019, canon.FORMAT_2021):
        return []
    out: list[str] = []
    for t in ("t2", "t3"):
        want = set(canon.expected_cells(t, fmt))
        rows = set(r for r, _ in want)
        cols = set(c for _, c in want)
        for c in doc.get("cells") or []:
            if c["table"] != t or c["row"].startswith(canon.EXTRA_PREFIX) or (c["row"], c["col"]) in want:
                continue
            what = (f"{t}/{c['row']} ({canon.row_label(t, c['row'])})" if c["row"] not in rows
                    else f"{t} column {c['col']} ({canon.col_label(t, c['col'])})" if c["col"] not in cols
                    else f"{t}/{c['row']}/{c['col']}")
            if what not in out:
                out.append(what)
    return out


def format_check(doc: dict) -> dict:
    year, fmt = doc.get("report_year"), doc.get("format")
    want = expected_format(year)
    expr = "format(tables) = format(report_year)"
    if want is None or fmt is None:
        return _result("S-FORMAT", "not_assessable", "format", expr, want, fmt,
                       detail="report year or table format unknown")
    drift = format_drift(doc, fmt)
    if fmt == want:
        if drift:
            return _result("S-FORMAT", "warn", "format", expr, want, fmt, 0,
                           f"{fmt} format, but printed in another layout: " + "; ".join(drift[:10]))
        return _result("S-FORMAT", "pass", "format", expr, want, fmt, 0)
    return _result("S-FORMAT", "fail", "format", expr, want, fmt, None,
                   f"{year} report printed in the {fmt} format (expected {want})"
                   + ("; also " + "; ".join(drift[:10]) if drift else ""))


def empty_check(table: str, cells: Cells) -> dict:
    if table not in cells.tables:
        return _result("S-EMPTY", "not_assessable", table, detail=f"table {table} not found")
    blank = [(k, c) for k, c in cells.map.items()
             if k[0] == table and c.get("semantic") in (canon.EMPTY, canon.NA)]
    total = sum(1 for k in cells.map if k[0] == table)
    n_empty = sum(1 for _, c in blank if c.get("semantic") == canon.EMPTY)
    detail = f"{len(blank)} of {total} cells blank or NA ({n_empty} blank, {len(blank) - n_empty} NA)"
    return _result("S-EMPTY", "warn" if blank else "pass", table,
                   "count of EMPTY/NA cells = 0", 0, len(blank), len(blank), detail,
                   [_cell_ref(*k, c) for k, c in blank[:50]])


def tables_check(doc: dict, cells: Cells) -> dict:
    """S-TABLES: a report in the 2019 or 2021 format must print the statistical tables; one
    without a single table cell is a finding (prose only, tables as pictures, or unread)."""
    kind, year, fmt = doc.get("kind"), doc.get("report_year"), doc.get("format")
    expr = "a report in the 2019/2021 format has tables 二, 三, 四"
    if kind in NOT_A_REPORT:
        return _result("S-TABLES", "not_assessable", "tables", expr,
                       detail=f"{NOT_A_REPORT[kind]}: exempt")
    found = [t for t in canon.TABLES if t in cells.tables]
    if found:
        return _result("S-TABLES", "pass", "tables", expr, len(canon.TABLES), len(found),
                       len(found) - len(canon.TABLES), "found: " + ", ".join(found))
    want = expected_format(year)
    modern = (canon.FORMAT_2019, canon.FORMAT_2021)
    if kind == "attachment_only":
        return _result("S-TABLES", "not_assessable", "tables", expr,
                       detail="the page points to attachments; no tables could be read from them")
    if kind != "report" or fmt == canon.FORMAT_LEGACY or (fmt not in modern and want not in modern):
        return _result("S-TABLES", "not_assessable", "tables", expr,
                       detail=f"kind {kind or 'unknown'}, format {fmt or want or 'unknown'}: "
                              "tables not required in the canonical form")
    return _result("S-TABLES", "fail", "tables", expr, len(canon.TABLES), 0, -len(canon.TABLES),
                   f"no statistical table found in this {year or ''} report "
                   f"(format {fmt or want}); prose, pictures or an unread file")


def run(doc: dict) -> list[dict]:
    """Every within-report check over one extract JSON (no database, no network)."""
    cells = Cells(doc)
    fmt = doc.get("format")
    out: list[dict] = []
    out += t3_checks(cells, fmt)
    out += t4_checks(cells)
    for t in canon.TABLES:
        out.append(domain_check(t, cells))
    out.append(tables_check(doc, cells))
    out.append(sections_check(doc))
    out.append(format_check(doc))
    for t in canon.TABLES:
        out.append(empty_check(t, cells))
    return out


def involved_cells(check_id: str, scope: str | None) -> list[tuple[str, str, str]]:
    """(tbl, row, col) a table check is about, from its id and scope, for result rows that do
    not list their operands (older archives). Scope is "t3/<col>", "t4/<row>", or a bare key."""
    where = (scope or "").split("=", 1)[-1].split(" ", 1)[0].rpartition("/")[2]
    if not where:
        return []
    if check_id == "T3-BAL":
        return [("t3", r, where) for r in (*T3_BAL_LEFT, *T3_BAL_RIGHT)]
    if check_id == "T3-SUM-RESULTS":  # either 其他处理 layout: the rows the report has are shown
        return [("t3", r, where) for r in ("granted", "partially_granted", *T3_RESULT_PARTS,
                                            *T3_OTHER_SPLIT, "other.total", "total_processed")]
    if check_id == "T3-SUM-COLS":
        return [("t3", where, c.key) for c in canon.T3_COLS]
    if check_id == "T4-SUM":
        return [("t4", where, c.key) for c in canon.T4_COLS]
    if check_id == "X-CARRY":
        return [("t3", CARRY[0], where)]
    return []
