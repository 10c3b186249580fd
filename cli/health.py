"""`nianbao sources health`: every source's latest health status (archive/health.py).

Built by a factory so cli/main.py can hand in its archive check without an import cycle.
"""
from __future__ import annotations

import json
import sqlite3

import click


def health_table(rows: list[dict]) -> list[str]:
    """Plain lines: source, status (and the one before), entries listed, run, why."""
    if not rows:
        return ["no source health recorded yet (health is judged when a crawl run closes)"]
    width = max(len(r["source_id"]) for r in rows)
    out = []
    for r in rows:
        was = f" (was {r['previous_status']})" if r.get("previous_status") and r["previous_status"] != r["status"] else ""
        items = "—" if r.get("items") is None else str(r["items"])
        out.append(f"{r['source_id']:<{width}}  {r['status'] + was:<30} items {items:>5}  run {r['run_id']:<4} "
                   f"{r['detail'].get('why') or ''}")
    return out


def make_command(existing_archive, default_db: str) -> click.Command:
    @click.command("health")
    @click.option("--db", default=default_db, show_default=True, callback=existing_archive, help="Archive SQLite file.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per source).")
    def health(db, as_json):
        """Each source's health after its latest crawl: ok, empty, shrunk, incomplete, blocked,
        robots_denied, unreachable, errors or changed_structure (docs/operations.md).

        Exit code 0 when every source is ok, 1 when one is not (also with --json)."""
        from archive import health as h
        from archive.schema import open_db
        db_ = open_db(db, readonly=True)
        try:
            rows = h.latest(db_.conn)
        except sqlite3.OperationalError:   # an archive from before migration 11, never crawled since
            rows = []
        finally:
            db_.conn.close()
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for line in health_table(rows):
                click.echo(line)
        raise SystemExit(1 if any(r["status"] != "ok" for r in rows) else 0)
    return health
