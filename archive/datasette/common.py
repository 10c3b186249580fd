"""Shared helpers of the plugin routes: which database is the archive, rows as dicts."""
from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from datasette.utils.asgi import NotFound

PLUGIN = "nianbao"


async def archive_database(datasette, request):
    """The database named by `?db=`, else the first attached one that has a `reports` table."""
    wanted = request.args.get("db")
    for name, db in datasette.databases.items():
        if name.startswith("_") or (wanted and name != wanted):
            continue
        if await db.table_exists("reports"):
            return db
    raise NotFound("没有找到年报档案数据库（缺少 reports 表）")


async def rows(db, sql: str, params=None) -> list[dict]:
    result = await db.execute(sql, params or [])
    return [dict(r) for r in result.rows]


def warc_dir(datasette, db) -> Path:
    """WARC directory: plugin config `warc_dir`, else `warc/` next to the database file."""
    config = datasette.plugin_config(PLUGIN) or {}
    if config.get("warc_dir"):
        return Path(config["warc_dir"])
    return Path(db.path).parent / "warc"


DEFAULT_BUDGET_S = 3.0   # wall time for the Python of one plugin page (SQL has its own limit)


def budget_seconds(datasette) -> float:
    """Plugin config `page_budget_seconds` (metadata.yml), else DEFAULT_BUDGET_S."""
    config = datasette.plugin_config(PLUGIN) or {}
    return float(config.get("page_budget_seconds") or DEFAULT_BUDGET_S)


async def within_budget(datasette, fn, *args):
    """(fn(*args), False), or (None, True) when it takes longer than the page budget.

    Datasette's `sql_time_limit_ms` bounds SQL only; Python run in the event loop would block
    every visitor. `fn` runs in a worker thread; the work itself must be bounded too (a thread
    cannot be stopped), so callers cap their inputs and this cap only stops the waiting."""
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, functools.partial(fn, *args))
    try:
        return await asyncio.wait_for(future, budget_seconds(datasette)), False
    except asyncio.TimeoutError:
        return None, True
