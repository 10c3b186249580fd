"""`/-/agency/<agency_key>`: one agency across the years.

The key is `report_figures.agency_key` (region-qualified, aliases followed; archive/figures.py).
Every report of the agency is listed; the tables show the counted row of each year
(archive/editions.py, docs/archive.md "Counting") side by side, one column per year.
A key known only before aliasing (reports.agency_key) redirects to the key it maps to.
"""
from __future__ import annotations

from urllib.parse import quote, unquote

from datasette.utils.asgi import NotFound, Response

from archive.datasette.common import archive_database, rows
from archive.datasette.scorecard import agency_indicators
from nianbao import canon

MAX_YEARS = 30


def agency_path(datasette, key: str) -> str:
    return datasette.urls.path("/-/agency/" + quote(key, safe="/"))


def _text(cell: dict | None) -> str:
    if cell is None:
        return ""
    if cell.get("raw") not in (None, ""):
        return str(cell["raw"])
    v = cell.get("value")
    if v is None:
        return ""
    return str(int(v)) if isinstance(v, float) and v == int(v) else str(v)


def grid(tbl: str, col: str, counted: list[dict], cells: list[dict]) -> dict:
    """Rows × years of one column of a table: row labels from canon.py in printed order,
    only rows some year printed."""
    by = {(c["version_id"], c["row_key"]): c for c in cells if c["tbl"] == tbl and c["col_key"] == col}
    present = {r for (_, r) in by}
    order = [k.key for k in canon.ROWS[tbl]]
    out = []
    for key in order:
        if key not in present:
            continue
        out.append({"key": key, "label": canon.row_label(tbl, key),
                    "cells": [_text(by.get((f["version_id"], key))) for f in counted]})
    return {"tbl": tbl, "col": col, "col_label": canon.col_label(tbl, col), "rows": out}


async def agency_page(datasette, request):
    db = await archive_database(datasette, request)
    key = unquote(request.url_vars["key"])
    if not key or len(key) > 300 or not await db.table_exists("report_figures"):
        raise NotFound("没有这个机构")
    reports = await rows(db, "SELECT report_id, version_id, title, agency, agency_display, region, "
                             "level, agency_level, report_year, kind, counted, counted_reason, "
                             "published, late, failing_checks, format, url FROM report_figures "
                             "WHERE agency_key = ? ORDER BY report_year DESC, counted DESC, "
                             "report_id", [key])
    if not reports:
        alias = await rows(db, "SELECT f.agency_key FROM reports r JOIN report_figures f ON "
                               "f.report_id = r.id WHERE r.agency_key = ? AND f.agency_key IS NOT "
                               "NULL LIMIT 1", [key])
        if alias and alias[0]["agency_key"] != key:
            return Response.redirect(agency_path(datasette, alias[0]["agency_key"]))
        raise NotFound(f"没有机构 {key} 的报告")
    col = request.args.get("col") or "total"
    if col not in canon.T3_APPLICANT_COLS + ("total",):
        raise NotFound("没有这一列")
    counted = sorted((r for r in reports if r["counted"] and r["report_year"] is not None),
                     key=lambda r: r["report_year"])[-MAX_YEARS:]
    cells = []
    if counted:
        vids = [r["version_id"] for r in counted]
        cells = await rows(db, "SELECT version_id, tbl, row_key, col_key, raw, value FROM cells "
                               f"WHERE version_id IN ({','.join('?' * len(vids))}) "
                               "AND ((tbl = 't3' AND col_key = ?) OR (tbl = 't4' AND col_key = 'total'))",
                           [*vids, col])
    me = reports[0]
    names = sorted({r["agency"] for r in reports if r["agency"]})
    context = {
        "database": db.name, "key": key, "display": me["agency_display"] or me["agency"] or key,
        "names": names, "region": me["region"], "level": me["agency_level"],
        "reports": reports, "counted": counted, "col": col,
        "columns": [(c.key, c.label) for c in canon.T3_COLS],
        "t3": grid("t3", col, counted, cells), "t4": grid("t4", "total", counted, cells),
        "t3_title": canon.TABLE_TITLES["t3"], "t4_title": canon.TABLE_TITLES["t4"],
        "late": sum(1 for r in reports if r["late"]),
        "failing": sum(1 for r in reports if r["failing_checks"]),
        # per-year indicators with their evidence (archive/scorecard.py); None before a refresh
        "indicators": await agency_indicators(datasette, db, key),
    }
    return Response.html(await datasette.render_template(
        "nianbao_agency.html", context, request=request, view_name="nianbao_agency"))
