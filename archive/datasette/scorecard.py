"""`/-/scorecard?region=…&year=…`: the agencies of one region ranked by their indicators, and
`/-/scorecard.csv` (same filter and order) for a spreadsheet.

Reads the derived `scorecard` table (archive/scorecard.py, rebuilt with report_figures): one
indexed read of a region-year, so the page stays fast on 100,000 reports. Columns sort on the
server (links in the header), so the page needs no script. Every indicator links to its evidence:
the check result, the column capture, or the report page. NULL shows as —, never as ✗ or 0.
"""
from __future__ import annotations

import csv
import io
from urllib.parse import quote, urlencode

from datasette.utils.asgi import NotFound, Response

from archive import scorecard as sc
from archive.datasette.common import archive_database, rows

MAX_ROWS = 2000   # a region-year has at most a few hundred agencies; the cap bounds the page

# (column, how it shows, the column holding its evidence, what that evidence is)
SHOWN = [
    ("score", "score", None, None),
    ("on_time_declared", "flag", "deadline_check", "check"),
    ("on_time_observed", "flag", "late_observed_capture", "capture"),
    ("sections_complete", "flag", "sections_check", "check"),
    ("tables_present", "flag", "tables_check", "check"),
    ("tables_consistent", "flag", "table_check", "check"),
    ("text_matches_tables", "flag", "text_check", "check"),
    ("repetition_text", "share", "copy_check", "check"),
    ("repetition_tables", "share", "copy_check", "check"),
    ("copied_paragraphs", "count_bad", "copy_other_check", "check"),
    ("changed_after_publication", "flag_bad", "changed_check", "check"),
    ("online", "online", "judged_report_id", "report"),
    ("editions", "editions", "report_id", "report"),
]


def _prefixes(datasette, db_name: str) -> dict[str, str]:
    """Evidence URL prefixes, built once per page (thousands of cells link to them)."""
    # a check result opens where it is explained, on its report's page (report_page.check_link)
    return {"check": datasette.urls.path("/-/check/"),
            "capture": datasette.urls.path("/-/capture/"), "report": datasette.urls.path("/-/report/"),
            "agency": datasette.urls.path("/-/agency/")}


def render(prefixes: dict[str, str], row: dict) -> list[dict]:
    """The shown indicators of one scorecard row: text, badge class, evidence link, tooltip."""
    out = []
    for col, how, ev_col, ev_kind in SHOWN:
        v = row.get(col)
        text, cls = "—", "na"
        if how == "score":
            text = "—" if v is None else f"{v:g}"
            cls = "" if v is None else "pass" if v >= 90 else "warn" if v >= 60 else "fail"
        elif how in ("flag", "flag_bad"):
            if v is not None:
                good = bool(v) if how == "flag" else not v
                text, cls = ("✓" if good else "✗"), ("pass" if good else "fail")
        elif how == "share":
            if v is not None:
                text, cls = f"{v:.0%}", "warn" if v >= 0.8 else ""
        elif how == "count_bad":
            if v is not None:
                text, cls = str(v), "warn" if v else "pass"
        elif how == "online":
            text = {"online": "在线", "missing": "栏目中不见", "gone": "已撤下"}.get(v, "—")
            cls = {"online": "pass", "missing": "warn", "gone": "fail"}.get(v, "na")
        elif how == "editions":
            kinds = [name for flag, name in (("has_html", "网页"), ("has_pdf", "PDF"), ("has_graphic", "图解"))
                     if row.get(flag)]
            text, cls = " ".join(kinds) or "—", ""
        out.append({"col": col, "text": text, "cls": cls, "label": label(col),
                    "href": f"{prefixes[ev_kind]}{int(row[ev_col])}"
                    if ev_kind and row.get(ev_col) is not None and text != "—" else None})
    return out


def label(col: str) -> str:
    return "版本（网页/PDF/图解）" if col == "editions" else sc.LABELS[col]


def _order(request) -> tuple[str, bool]:
    sort = request.args.get("sort") or "score"
    if sort not in sc.NAMES:
        raise NotFound("没有这一列")
    return sort, request.args.get("desc", "1" if sort == "score" else "0") == "1"


async def _ranking(db, region: str, year: int, sort: str, desc: bool) -> list[dict]:
    # `sort` is one of sc.NAMES (checked): safe to place in the SQL. Blanks last in either order.
    return await rows(db, f"SELECT * FROM scorecard WHERE region = ? AND report_year = ? "
                          f"ORDER BY {sort} IS NULL, {sort} {'DESC' if desc else 'ASC'}, agency_display "
                          f"LIMIT {MAX_ROWS}", [region, year])


async def _filters(db, request) -> tuple[str, int | None, list[int], list[dict]]:
    years = [r["report_year"] for r in await rows(
        db, "SELECT DISTINCT report_year FROM scorecard ORDER BY report_year DESC")]
    year_arg = request.args.get("year") or ""
    if year_arg:
        try:
            year = int(year_arg)
        except ValueError:
            raise NotFound("年度应为数字") from None
    else:
        year = years[0] if years else None
    regions = await rows(db, "SELECT region, COUNT(*) AS n, ROUND(AVG(score), 1) AS avg_score FROM scorecard "
                             "WHERE report_year = ? AND region IS NOT NULL GROUP BY region ORDER BY region", [year])
    return request.args.get("region") or "", year, years, regions


async def scorecard_page(datasette, request):
    db = await archive_database(datasette, request)
    context = {"database": db.name, "missing": not await db.table_exists("scorecard")}
    if context["missing"]:
        return Response.html(await datasette.render_template(
            "nianbao_scorecard.html", context, request=request, view_name="nianbao_scorecard"), status=200)
    region, year, years, regions = await _filters(db, request)
    sort, desc = _order(request)
    ranking = await _ranking(db, region, year, sort, desc) if region and year else []
    base = {"region": region, "year": year or ""}
    prefixes = _prefixes(datasette, db.name)
    headers = [{"col": "agency_display", "label": sc.LABELS["agency_display"]}] + [
        {"col": c, "label": label(c)} for c, *_ in SHOWN]
    for h in headers:
        # a click on the sorted column reverses it; another column starts from its largest values
        flip = not desc if h["col"] == sort else h["col"] != "agency_display"
        h["href"] = "?" + urlencode({**base, "sort": h["col"], "desc": int(flip)})
        h["sorted"] = ("desc" if desc else "asc") if h["col"] == sort else ""
    context.update({
        "region": region, "year": year, "years": years, "regions": regions, "sort": sort, "desc": desc,
        "headers": headers, "descriptions": [(sc.LABELS[c], d) for c, _t, _z, _e, d, _u in sc.COLUMNS
                                             if c in {s[0] for s in SHOWN}],
        "rows": [{"rank": i + 1, "agency": r["agency_display"] or r["agency_key"],
                  "agency_href": prefixes["agency"] + quote(r["agency_key"], safe="/"),
                  "report_href": f"{prefixes['report']}{r['report_id']}",
                  "known": r["indicators_known"], "met": r["indicators_met"],
                  "cells": render(prefixes, r)} for i, r in enumerate(ranking)],
        "csv": datasette.urls.path("/-/scorecard.csv") + "?" + urlencode({**base, "sort": sort, "desc": int(desc)}),
        "sql": datasette.urls.table(db.name, "scorecard") + "?" + urlencode(
            {"region": region, "report_year": year or ""}),
    })
    return Response.html(await datasette.render_template(
        "nianbao_scorecard.html", context, request=request, view_name="nianbao_scorecard"))


async def scorecard_csv(datasette, request):
    """Every column of the region-year's ranking, headers `key（标签）`; the UTF-8 BOM and the
    download disposition are added by downloads.py like for every .csv answer."""
    db = await archive_database(datasette, request)
    if not await db.table_exists("scorecard"):
        raise NotFound("没有评分表（scorecard）：请先运行 nianbao serve 或 python -m archive.figures")
    region, year, _years, _regions = await _filters(db, request)
    if not region or year is None:
        raise NotFound("请指定地区 region 和年度 year")
    sort, desc = _order(request)
    ranking = await _ranking(db, region, year, sort, desc)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["rank（名次）"] + [f"{n}（{sc.LABELS[n]}）" for n in sc.NAMES])
    for i, r in enumerate(ranking, 1):
        w.writerow([i] + ["" if r[n] is None else r[n] for n in sc.NAMES])
    return Response(buf.getvalue(), content_type="text/csv; charset=utf-8")


async def agency_indicators(datasette, db, key: str) -> dict | None:
    """The agency's scorecard rows, one per year (newest first), for the agency page."""
    if not await db.table_exists("scorecard"):
        return None
    found = await rows(db, "SELECT * FROM scorecard WHERE agency_key = ? ORDER BY report_year DESC", [key])
    prefixes = _prefixes(datasette, db.name)
    return {"headers": [{"col": c, "label": label(c)} for c, *_ in SHOWN],
            "rows": [{"year": r["report_year"], "report_href": f"{prefixes['report']}{r['report_id']}",
                      "known": r["indicators_known"], "met": r["indicators_met"],
                      "cells": render(prefixes, r)} for r in found],
            "region": found[0]["region"] if found else None}
