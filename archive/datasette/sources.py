"""`/-/source/<source_id>` (a source's health now and over time) and `/-/watch?year=Y` (agencies
whose report is overdue, with the column captures that prove it): archive/health.py and
archive/watch.py, read-only."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from datasette.utils.asgi import NotFound, Response

from archive.datasette.common import archive_database, rows

HISTORY_MAX = 100
CHINA = timezone(timedelta(hours=8))


def source_path(datasette, source_id: str) -> str:
    return datasette.urls.path("/-/source/" + quote(source_id, safe=""))


async def source_page(datasette, request):
    db = await archive_database(datasette, request)
    sid = request.url_vars["id"]
    src = await rows(db, "SELECT id, name, url, platform, region, level, enabled, blocked_at, blocked_reason"
                         " FROM sources WHERE id = ?", [sid])
    if not src:
        raise NotFound(f"没有来源 {sid}")
    history = []
    if await db.table_exists("source_health"):
        history = await rows(db, "SELECT h.run_id, h.status, h.previous_status, h.items, h.expected, h.lists_ok,"
                                 " h.lists_failed, h.fetched, h.failed, h.detail, h.checked_at, r.started_at"
                                 " FROM source_health h JOIN crawl_runs r ON r.id = h.run_id"
                                 " WHERE h.source_id = ? ORDER BY h.run_id DESC LIMIT ?", [sid, HISTORY_MAX])
    for h in history:
        h["detail"] = json.loads(h["detail"] or "{}")
    counts = (await rows(db, "SELECT (SELECT COUNT(*) FROM reports WHERE source_id = :s) AS reports,"
                             " (SELECT COUNT(*) FROM reports WHERE source_id = :s AND gone_at IS NOT NULL) AS gone,"
                             " (SELECT COUNT(*) FROM captures WHERE source_id = :s) AS captures", {"s": sid}))[0]
    table = datasette.urls.table
    context = {"database": db.name, "source": src[0], "latest": history[0] if history else None,
               "history": history, "counts": counts,
               "captures_url": table(db.name, "captures") + "?source_id=" + quote(sid) + "&_sort_desc=id",
               "list_captures_url": table(db.name, "captures") + "?source_id=" + quote(sid)
               + "&role=list&_sort_desc=id",
               "reports_url": table(db.name, "reports") + "?source_id=" + quote(sid)}
    return Response.html(await datasette.render_template(
        "nianbao_source.html", context, request=request, view_name="nianbao_source"))


async def watch_page(datasette, request):
    from archive import watch
    db = await archive_database(datasette, request)
    today = datetime.now(CHINA).date()
    try:
        day = date.fromisoformat(request.args["today"]) if request.args.get("today") else today
        year = int(request.args.get("year") or day.year - 1)
    except ValueError:
        raise NotFound("year 应为年份，today 应为 YYYY-MM-DD") from None
    if not 1990 < year < 2200:
        raise NotFound("没有这一年")
    found = await db.execute_fn(lambda conn: watch.watch(conn, year, day))
    show = request.args.get("all") == "1"
    listed = [r for r in found if show or r["status"] in ("overdue", "unverified")]
    counts = {s: sum(1 for r in found if r["status"] == s) for s in watch.STATUSES}
    context = {"database": db.name, "year": year, "day": day.isoformat(), "rows": listed, "counts": counts,
               "all": show, "watched": len(found)}
    return Response.html(await datasette.render_template(
        "nianbao_watch.html", context, request=request, view_name="nianbao_watch"))
