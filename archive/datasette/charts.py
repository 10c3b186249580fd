"""`/-/charts`: the trends people ask about, drawn as server-side SVG (no script, no CDN).

Applications received per year, how they were answered (outcome shares), and 行政复议/诉讼
per year; optionally for one agency (`?agency=`) or region (`?region=`). Every chart links to
the SQL behind it so the numbers can be checked and exported.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from archive.datasette.common import archive_database, rows
from nianbao import canon

# Outcome groups of table 三 (the five 处理结果 the public asks about, plus 其他处理): the
# report_figures column and the label, from canon.py's group headings.
OUTCOMES = [
    ("granted", canon.row_label("t3", "granted")),
    ("partially_granted", canon.row_label("t3", "partially_granted")),
    ("denied", canon.T3_GROUPS["denied"]),
    ("unable", canon.T3_GROUPS["unable"]),
    ("not_processed", canon.T3_GROUPS["not_processed"]),
    ("other", canon.T3_GROUPS["other"]),
]
COLOURS = ["#2b7a4b", "#8fbf6a", "#c0392b", "#e6a23c", "#7f8c8d", "#5b7db1"]


def short(label: str) -> str:
    """（三）不予公开 → 不予公开: the heading without its numbering or notes."""
    return canon.normalise_text(re.sub(r"^[（(][一二三四五六七八九十]+[)）]", "", label)).split("(")[0]


def _filter(request) -> tuple[str, dict]:
    where, params = [], {}
    if request.args.get("agency"):
        # an agency key (闽溪县/东湖镇政府) picks one agency; other text matches the display name
        where.append("(agency_key = :agency OR agency_display LIKE '%' || :agency || '%')")
        params["agency"] = request.args["agency"]
    if request.args.get("region"):
        where.append("region LIKE '%' || :region || '%'")
        params["region"] = request.args["region"]
    return ("AND " + " AND ".join(where)) if where else "", params


def sql_by_year(extra: str, by_agency: bool) -> str:
    """Per-year sums: from the yearly table unless one agency is asked for (then its rows).
    Both hold only the counted row of each agency-year (archive/editions.py)."""
    table = "report_figures" if by_agency else "report_figures_years"
    count = "COUNT(*)" if by_agency else "SUM(reports)"
    if by_agency:
        extra = "AND counted = 1 " + extra
    sums = ", ".join(f"SUM({name}) AS {name}" for name, _ in OUTCOMES)
    return (f"SELECT report_year AS year, {count} AS reports, SUM(new_received) AS applications, "
            f"{sums}, SUM(admin_review) AS review, SUM(litigation) AS litigation "
            f"FROM {table} WHERE report_year IS NOT NULL {extra} "
            "GROUP BY report_year ORDER BY report_year")


def _num(v: float) -> str:
    return f"{v:,.0f}" if v == int(v) or v >= 10 else f"{v:,.1f}"


def bar_chart(points: list[tuple[str, float]], width=640, height=260, colour="#2b6cb0") -> dict:
    """Geometry of a vertical bar chart; the template draws it (labels stay escaped)."""
    left, bottom, top = 56, 28, 14
    peak = max([v for _, v in points] + [1])
    step = (width - left - 10) / max(len(points), 1)
    bars = []
    for i, (label, v) in enumerate(points):
        h = (height - bottom - top) * (v / peak)
        bars.append({"x": left + i * step + step * 0.15, "w": step * 0.7,
                     "y": height - bottom - h, "h": h, "label": label,
                     "value": f"{v:,.0f}", "cx": left + i * step + step / 2})
    ticks = [{"y": height - bottom - (height - bottom - top) * f, "label": _num(peak * f)}
             for f in (0, 0.5, 1)]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "left": left,
            "base": height - bottom, "colour": colour}


def stacked_shares(by_year: dict[str, dict[str, float]], width=640, height=280) -> dict:
    """100 % stacked bars per year, one segment per outcome."""
    left, bottom, top = 56, 28, 14
    years = sorted(by_year)
    step = (width - left - 10) / max(len(years), 1)
    bars = []
    for i, y in enumerate(years):
        total = sum(by_year[y].values()) or 1
        acc = 0.0
        for j, (name, label) in enumerate(OUTCOMES):
            label = short(label)
            share = (by_year[y].get(name) or 0) / total
            h = (height - bottom - top) * share
            bars.append({"x": left + i * step + step * 0.15, "w": step * 0.7,
                         "y": height - bottom - acc - h, "h": h, "colour": COLOURS[j],
                         "title": f"{y}年 {label}：{by_year[y].get(name) or 0:,.0f}（{share:.1%}）"})
            acc += h
    labels = [{"cx": left + i * step + step / 2, "label": y} for i, y in enumerate(years)]
    ticks = [{"y": height - bottom - (height - bottom - top) * f, "label": f"{f:.0%}"}
             for f in (0, 0.5, 1)]
    legend = [{"label": short(label), "colour": COLOURS[j]} for j, (_, label) in enumerate(OUTCOMES)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "ticks": ticks,
            "legend": legend, "left": left, "base": height - bottom}


async def charts_page(datasette, request):
    db = await archive_database(datasette, request)
    context = {"database": db.name, "agency": request.args.get("agency") or "",
               "region": request.args.get("region") or "", "missing": False}
    if not await db.table_exists("report_figures_years"):
        context["missing"] = True  # built by `nianbao serve` (archive/figures.py)
    else:
        extra, params = _filter(request)
        sql = sql_by_year(extra, by_agency="agency" in params)
        years = await rows(db, sql, params)
        context.update({
            "applications": bar_chart([(str(r["year"]), r["applications"] or 0) for r in years]),
            "reports": bar_chart([(str(r["year"]), r["reports"]) for r in years], colour="#718096"),
            "shares": stacked_shares({str(r["year"]): {n: r[n] or 0 for n, _ in OUTCOMES}
                                      for r in years}),
            "shares_table": [{"year": r["year"], **{n: r[n] for n, _ in OUTCOMES}} for r in years],
            "outcomes": [(n, short(label)) for n, label in OUTCOMES],
            "review": bar_chart([(str(r["year"]), r["review"] or 0) for r in years],
                                colour="#9b2c2c"),
            "litigation": bar_chart([(str(r["year"]), r["litigation"] or 0) for r in years],
                                    colour="#744210"),
            "sql": datasette.urls.database(db.name) + "?" + urlencode({"sql": sql, **params}),
        })
    return Response.html(await datasette.render_template(
        "nianbao_charts.html", context, request=request, view_name="nianbao_charts"))
