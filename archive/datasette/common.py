"""Shared helpers of the plugin routes: which database is the archive, rows as dicts."""
from __future__ import annotations

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
