"""Table values for a generated 年报: random, but obeying the format's identities.

Values depend only on (agency, year, fmt, seed), never on the layout, so the HTML edition,
the 图解 and the attachment of one report agree (P-DUPLICATE must not fire by accident).
carried_over of year y is carried_forward of year y-1 for the same agency (X-CARRY holds), and
in_force follows issued/repealed across years (X-INFORCE holds).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from nianbao import canon

APPLICANTS = canon.T3_APPLICANT_COLS
T3_RESULT_ROWS_2021 = tuple(r for r in canon.T3_ROWS_2021
                            if r not in ("new_received", "carried_over", "total_processed",
                                         "carried_forward"))
T3_RESULT_ROWS_2019 = tuple(r for r in canon.T3_ROWS_2019
                            if r not in ("new_received", "carried_over", "total_processed",
                                         "carried_forward"))
T4_PARTS = ("upheld", "corrected", "other", "pending")

# Checks this generator knows how to break on purpose (docs/checks.md).
BREAKABLE = ("T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS", "T4-SUM", "T2-DOMAIN", "T3-DOMAIN",
             "S-SECTIONS")

# How often each result row is used, relative to 予以公开 (real reports: mostly granted,
# 本机关不掌握 second, the rest rare).
_RESULT_WEIGHT = {
    "granted": 1.0, "partially_granted": 0.08, "unable.not_held": 0.3,
    "unable.needs_creation": 0.04, "unable.unclear": 0.03, "not_processed.petition": 0.05,
    "not_processed.duplicate": 0.05, "not_processed.confirm_reissue": 0.02,
    "denied.third_party": 0.02, "denied.process_info": 0.02, "denied.internal_affairs": 0.02,
    "denied.enforcement_file": 0.02, "denied.admin_inquiry": 0.02, "other.no_correction": 0.04,
    "other.other": 0.03, "other.total": 0.06,
}
# Share of requests per applicant column.
_APPLICANT_SHARE = (0.9, 0.07, 0.003, 0.005, 0.012, 0.01)


def _rng(*parts) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


@dataclass
class TableValues:
    """Numbers before printing. t2 values may be float (fees) or a (number, unit) for
    procurement_amount; t3/t4 are ints."""
    fmt: str
    t2: dict[tuple[str, str], object] = field(default_factory=dict)
    t3: dict[tuple[str, str], int] = field(default_factory=dict)
    t4: dict[tuple[str, str], int] = field(default_factory=dict)
    broken_cells: set[tuple[str, str, str]] = field(default_factory=set)  # (table,row,col)


def _scale(agency: str, seed: int) -> int:
    """Typical yearly number of requests for this agency (a stable trait of the agency)."""
    r = _rng("scale", agency, seed)
    if "人民政府" in agency and not agency.endswith(("镇人民政府", "乡人民政府")):
        return r.choice((15, 40, 120, 500))
    return r.choice((0, 3, 8, 20))


def carried_forward(agency: str, year: int, seed: int) -> dict[str, int]:
    """Per-applicant-column 结转下年度 of `year` (deterministic, so year+1 can read it)."""
    r = _rng("carry", agency, year, seed)
    scale = _scale(agency, seed)
    out = {c: 0 for c in APPLICANTS}
    if scale and r.random() < 0.5:
        out["natural_person"] = r.randint(1, max(1, scale // 20 + 1))
        if r.random() < 0.3:
            out["legal_commercial"] = r.randint(1, 2)
    return out


def _t3(r: random.Random, agency: str, year: int, fmt: str, seed: int) -> dict:
    rows = T3_RESULT_ROWS_2021 if fmt == canon.FORMAT_2021 else T3_RESULT_ROWS_2019
    scale = _scale(agency, seed)
    fwd = carried_forward(agency, year, seed)
    prev = carried_forward(agency, year - 1, seed)
    vals: dict[tuple[str, str], int] = {}
    for ci, col in enumerate(APPLICANTS):
        n = int(scale * _APPLICANT_SHARE[ci] * r.uniform(0.5, 1.5))
        if n == 0 and ci == 0 and scale:
            n = 1
        for row in rows:
            w = _RESULT_WEIGHT.get(row, 0.0)
            if row == "granted":
                v = 0
            elif w and n and r.random() < min(0.9, w * 4):
                v = int(round(n * w * r.uniform(0.3, 1.7)))
            else:
                v = 0
            vals[(row, col)] = v
        # granted takes the remainder so the column total is about n
        others = sum(vals[(row, col)] for row in rows if row != "granted")
        vals[("granted", col)] = max(0, n - others)
        processed = sum(vals[(row, col)] for row in rows)
        # carried_over must not exceed what was processed or carried on
        c_over = min(prev[col], processed + fwd[col])
        vals[("carried_over", col)] = c_over
        vals[("carried_forward", col)] = fwd[col]
        vals[("total_processed", col)] = processed
        vals[("new_received", col)] = processed + fwd[col] - c_over
    for row in ("new_received", "carried_over", *rows, "total_processed", "carried_forward"):
        vals[(row, "total")] = sum(vals[(row, c)] for c in APPLICANTS)
    return vals


def _t4(r: random.Random, agency: str, seed: int) -> dict:
    scale = _scale(agency, seed)
    vals = {}
    for row in ("admin_review", "litigation_direct", "litigation_after_review"):
        parts = {p: 0 for p in T4_PARTS}
        if scale >= 40 and r.random() < 0.7:
            parts["upheld"] = r.randint(0, scale // 40 + 2)
            parts["corrected"] = r.choice((0, 0, 0, 1))
            parts["other"] = r.randint(0, 3)
            parts["pending"] = r.randint(0, 2)
        for p, v in parts.items():
            vals[(row, p)] = v
        vals[(row, "total")] = sum(parts.values())
    return vals


def _in_force(agency: str, year: int, seed: int, row: str) -> tuple[int, int, int]:
    """(issued, repealed, in_force) with in_force carried across years from a base in 2020."""
    base = _rng("inforce", agency, row, seed).randint(0, 40) if row == "normative_docs" else 0
    in_force = base
    issued = repealed = 0
    for y in range(2021, max(2021, year) + 1):
        ry = _rng("issued", agency, row, y, seed)
        if row == "normative_docs":
            issued, repealed = ry.randint(0, 12), ry.randint(0, 5)
        else:  # 规章: only 设区的市 make them; mostly zero
            issued, repealed = (ry.randint(0, 2), 0) if ry.random() < 0.15 else (0, 0)
        repealed = min(repealed, in_force + issued)
        in_force = in_force + issued - repealed
    return issued, repealed, in_force


def _t2(r: random.Random, agency: str, year: int, fmt: str, seed: int) -> dict:
    big = _scale(agency, seed) >= 40
    vals: dict[tuple[str, str], object] = {}
    if fmt == canon.FORMAT_2021:
        for row in ("regulations", "normative_docs"):
            i, rep, f = _in_force(agency, year, seed, row)
            vals[(row, "issued_this_year")] = i
            vals[(row, "repealed_this_year")] = rep
            vals[(row, "in_force")] = f
        for row in ("admin_licensing", "admin_penalty", "admin_coercion"):
            hi = 600000 if big else 3000
            vals[(row, "decisions")] = r.choice((0, r.randint(1, 50), r.randint(50, hi)))
        vals[("admin_fees", "fee_amount_wan_yuan")] = r.choice(
            (0.0, round(r.uniform(0.1, 900), r.choice((1, 2))), float(r.randint(1, 2000))))
    else:
        for row in ("regulations", "normative_docs"):
            made = r.randint(0, 3) if row == "regulations" and big else r.randint(0, 15)
            if row == "regulations" and not big:
                made = 0
            vals[(row, "newly_made")] = made
            vals[(row, "newly_published")] = made
            vals[(row, "total_published")] = made + r.randint(0, 60)
        for row in ("admin_licensing", "other_external_services", "admin_penalty",
                    "admin_coercion"):
            vals[(row, "items_prev_year")] = r.randint(0, 300)
            vals[(row, "items_change")] = r.randint(-20, 20)
            vals[(row, "decisions")] = r.choice((0, r.randint(1, 50), r.randint(50, 90000)))
        vals[("admin_fees", "items_prev_year")] = r.randint(0, 20)
        vals[("admin_fees", "items_change")] = r.randint(-3, 3)
        projects = r.choice((0, r.randint(1, 40)))
        vals[("central_procurement", "procurement_projects")] = projects
        if projects == 0:
            amount = (0, "")
        elif r.random() < 0.5:
            amount = (r.randint(1000, 900000), "元")
        else:
            amount = (round(r.uniform(1, 3000), 2), "万元")
        vals[("central_procurement", "procurement_amount")] = amount
    return vals


def make_values(agency: str, year: int, fmt: str, seed: int, breaks=()) -> TableValues:
    tv = TableValues(fmt=fmt)
    if fmt not in (canon.FORMAT_2019, canon.FORMAT_2021):
        return tv  # legacy reports have no canonical tables
    r = _rng("values", agency, year, fmt, seed)
    tv.t2 = _t2(r, agency, year, fmt, seed)
    tv.t3 = _t3(r, agency, year, fmt, seed)
    tv.t4 = _t4(r, agency, seed)
    _apply_breaks(tv, breaks, _rng("breaks", agency, year, seed))
    return tv


def _apply_breaks(tv: TableValues, breaks, r: random.Random) -> None:
    """Each break perturbs cells so that exactly the named check fails (others still hold)."""
    k = r.randint(1, 5)
    for b in breaks:
        if b not in BREAKABLE:
            raise ValueError(f"cannot break {b!r}; known: {BREAKABLE}")
        if b == "T3-BAL":  # one more carried forward than the column can account for
            for col in ("natural_person", "total"):
                tv.t3[("carried_forward", col)] += k
                tv.broken_cells.add(("t3", "carried_forward", col))
        elif b == "T3-SUM-RESULTS":  # (七)总计 no longer the sum of the result rows
            for col in ("natural_person", "total"):
                tv.t3[("total_processed", col)] += k
                tv.t3[("carried_forward", col)] -= k
                tv.broken_cells.add(("t3", "total_processed", col))
                tv.broken_cells.add(("t3", "carried_forward", col))
            if tv.t3[("carried_forward", "natural_person")] < 0:  # keep T3-DOMAIN intact
                for col in ("natural_person", "total"):
                    tv.t3[("carried_forward", col)] += k
                    tv.t3[("new_received", col)] += k
                    tv.broken_cells.add(("t3", "new_received", col))
        elif b == "T3-SUM-COLS":  # total column off in two rows; column balance still holds
            for row in ("new_received", "carried_forward"):
                tv.t3[(row, "total")] += k
                tv.broken_cells.add(("t3", row, "total"))
        elif b == "T4-SUM":
            tv.t4[("admin_review", "total")] += k
            tv.broken_cells.add(("t4", "admin_review", "total"))
        elif b == "T2-DOMAIN":
            key = ("regulations", "issued_this_year" if tv.fmt == canon.FORMAT_2021
                   else "newly_made")
            tv.t2[key] = -k
            tv.broken_cells.add(("t2", *key))
        elif b == "T3-DOMAIN":  # a negative count that still balances
            for col in ("legal_other", "total"):
                tv.t3[("unable.unclear", col)] -= k
                tv.t3[("total_processed", col)] -= k
                tv.t3[("new_received", col)] -= k
                tv.broken_cells.add(("t3", "unable.unclear", col))
