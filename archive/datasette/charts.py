"""`/-/charts`: the trends people ask about, drawn as server-side SVG (no script, no CDN).

Applications received per year, how they were answered (outcome shares), and 行政复议/诉讼
per year; optionally for one agency (`?agency=`) or region (`?region=`). Every chart links to
the SQL behind it so the numbers can be checked and exported.
"""
from __future__ import annotations

from urllib.parse import urlencode

from datasette.utils.asgi import Response

from archive.datasette.common import archive_database, rows
from pipelines.extract import canon

# Outcome groups of table 三 (the five 处理结果 the public asks about, plus 其他处理).
OUTCOMES = [
    ("granted", "予以公开", ["granted"]),
    ("partially_granted", "部分公开", ["partially_granted"]),
    ("denied", "不予公开", [k.key for k in canon.T3_ROWS if k.group == "denied"]),
    ("unable", "无法提供", [k.key for k in canon.T3_ROWS if k.group == "unable"]),
    ("not_processed", "不予处理", [k.key for k in canon.T3_ROWS if k.group == "not_processed"]),
    ("other", "其他处理", [k.key for k in canon.T3_ROWS if k.group == "other"]),
]
COLOURS = ["#2b7a4b", "#8fbf6a", "#c0392b", "#e6a23c", "#7f8c8d", "#5b7db1"]


def _filter(request) -> tuple[str, dict]:
    where, params = [], {}
    if request.args.get("agency"):
        where.append("r.agency LIKE '%' || :agency || '%'")
        params["agency"] = request.args["agency"]
    if request.args.get("region"):
        where.append("s.region LIKE '%' || :region || '%'")
        params["region"] = request.args["region"]
    return ("AND " + " AND ".join(where)) if where else "", params


def outcome_case() -> str:
    return "CASE " + " ".join(
        f"WHEN c.row_key IN ({', '.join(repr(k) for k in keys)}) THEN '{name}'"
        for name, _, keys in OUTCOMES) + " END"


def sql_applications(extra: str) -> str:
    return ("SELECT r.report_year AS year, SUM(c.value) AS applications, COUNT(*) AS reports "
            "FROM reports r JOIN cells c ON c.version_id = r.current_version_id "
            "AND c.tbl = 't3' AND c.row_key = 'new_received' AND c.col_key = 'total' "
            "LEFT JOIN sources s ON s.id = r.source_id "
            f"WHERE r.report_year IS NOT NULL {extra} GROUP BY r.report_year ORDER BY year")


def sql_outcomes(extra: str) -> str:
    keys = [k for _, _, ks in OUTCOMES for k in ks]
    return (f"SELECT r.report_year AS year, {outcome_case()} AS outcome, SUM(c.value) AS n "
            "FROM reports r JOIN cells c ON c.version_id = r.current_version_id "
            "AND c.tbl = 't3' AND c.col_key = 'total' "
            f"AND c.row_key IN ({', '.join(repr(k) for k in keys)}) "
            "LEFT JOIN sources s ON s.id = r.source_id "
            f"WHERE r.report_year IS NOT NULL {extra} GROUP BY year, outcome ORDER BY year")


def sql_disputes(extra: str) -> str:
    return ("SELECT r.report_year AS year, "
            "SUM(CASE WHEN c.row_key = 'admin_review' THEN c.value END) AS review, "
            "SUM(CASE WHEN c.row_key != 'admin_review' THEN c.value END) AS litigation "
            "FROM reports r JOIN cells c ON c.version_id = r.current_version_id "
            "AND c.tbl = 't4' AND c.col_key = 'total' "
            "LEFT JOIN sources s ON s.id = r.source_id "
            f"WHERE r.report_year IS NOT NULL {extra} GROUP BY year ORDER BY year")


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
        for j, (name, label, _) in enumerate(OUTCOMES):
            share = (by_year[y].get(name) or 0) / total
            h = (height - bottom - top) * share
            bars.append({"x": left + i * step + step * 0.15, "w": step * 0.7,
                         "y": height - bottom - acc - h, "h": h, "colour": COLOURS[j],
                         "title": f"{y}年 {label}：{by_year[y].get(name) or 0:,.0f}（{share:.1%}）"})
            acc += h
    labels = [{"cx": left + i * step + step / 2, "label": y} for i, y in enumerate(years)]
    ticks = [{"y": height - bottom - (height - bottom - top) * f, "label": f"{f:.0%}"}
             for f in (0, 0.5, 1)]
    legend = [{"label": label, "colour": COLOURS[j]} for j, (_, label, _) in enumerate(OUTCOMES)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "ticks": ticks,
            "legend": legend, "left": left, "base": height - bottom}


async def charts_page(datasette, request):
    db = await archive_database(datasette, request)
    extra, params = _filter(request)
    apps = await rows(db, sql_applications(extra), params)
    outcomes = await rows(db, sql_outcomes(extra), params)
    disputes = await rows(db, sql_disputes(extra), params)
    by_year: dict[str, dict[str, float]] = {}
    for r in outcomes:
        by_year.setdefault(str(r["year"]), {})[r["outcome"]] = r["n"] or 0

    def sql_link(sql: str) -> str:
        return datasette.urls.database(db.name) + "?" + urlencode({"sql": sql, **params})

    context = {
        "database": db.name,
        "agency": request.args.get("agency") or "",
        "region": request.args.get("region") or "",
        "applications": bar_chart([(str(r["year"]), r["applications"] or 0) for r in apps]),
        "reports": bar_chart([(str(r["year"]), r["reports"]) for r in apps], colour="#718096"),
        "shares": stacked_shares(by_year),
        "shares_table": [{"year": y, **v} for y, v in sorted(by_year.items())],
        "outcomes": OUTCOMES,
        "review": bar_chart([(str(r["year"]), r["review"] or 0) for r in disputes], colour="#9b2c2c"),
        "litigation": bar_chart([(str(r["year"]), r["litigation"] or 0) for r in disputes],
                                colour="#744210"),
        "sql": {"applications": sql_link(sql_applications(extra)),
                "outcomes": sql_link(sql_outcomes(extra)),
                "disputes": sql_link(sql_disputes(extra))},
    }
    return Response.html(await datasette.render_template(
        "nianbao_charts.html", context, request=request, view_name="nianbao_charts"))
