"""`nianbao watch`: agencies whose report for the year just ended is overdue (archive/watch.py).

The day is today in China (deadlines are Chinese calendar days), or NIANBAO_NOW / --now (an ISO 8601
instant: the same frozen clock `crawl --due` reads). Built by a factory so cli/main.py can hand in
its archive check without an import cycle.
"""
from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone

import click

CHINA = timezone(timedelta(hours=8))


def today(now: str | None = None) -> date:
    """The calendar day in China at `now` (else NIANBAO_NOW, else the real clock)."""
    from nianbao.schedule import parse_instant
    text = now or os.environ.get("NIANBAO_NOW")
    if text:
        try:
            return parse_instant(text).astimezone(CHINA).date()
        except ValueError:
            raise click.BadParameter(f"{text!r} is not an ISO 8601 instant (e.g. 2025-04-01T09:00:00+08:00)") from None
    return datetime.now(CHINA).date()


def lines(rows: list[dict], year: int, day: date, show_all: bool) -> list[str]:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("overdue", "unverified", "pending", "appeared")}
    out = [f"{year} reports on {day}: {len(rows)} agencies watched — " + ", ".join(f"{n} {s}" for s, n in counts.items())]
    for r in rows:
        if not show_all and r["status"] not in ("overdue", "unverified"):
            continue
        what = {"overdue": f"not on its column in {r['evidence_reads']} complete reads since the deadline; newest: "
                           + ", ".join(f"capture {e['capture_id']} ({e['fetched_at'][:10]})" for e in r["evidence"][:2]),
                "unverified": "not in the archive, but its column was not read completely since the deadline",
                "pending": "deadline not reached",
                "appeared": f"report {r['report_id']} first seen {str(r['first_seen'])[:10]}"}[r["status"]]
        out.append(f"{r['status']:<10} {r['agency_display'] or r['agency_key']}  due {r['deadline']}  {what}")
    return out


def make_command(existing_archive, default_db: str) -> click.Command:
    @click.command("watch")
    @click.option("--db", default=default_db, show_default=True, callback=existing_archive, help="Archive SQLite file.")
    @click.option("--year", type=int, default=None, help="Report year to watch (default: the year just ended).")
    @click.option("--now", default=None, metavar="INSTANT",
                  help="Judge as of this ISO 8601 instant (default: NIANBAO_NOW, else the clock).")
    @click.option("--all", "show_all", is_flag=True, help="Also list the agencies whose report appeared or is not due.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per watched agency.")
    def watch(db, year, now, show_all, as_json):
        """Agencies seen in earlier years whose report for YEAR has not appeared by its deadline,
        with the evidence: the complete reads of their column after the deadline without it
        (docs/operations.md, Missing-report watch). Exit code 1 when one is overdue."""
        from archive import watch as w
        from archive.schema import open_db
        day = today(now)
        year = year or day.year - 1
        conn = open_db(db, readonly=True).conn
        try:
            rows = w.watch(conn, year, day)
        finally:
            conn.close()
        if as_json:
            click.echo(json.dumps({"year": year, "today": day.isoformat(), "agencies": rows if show_all else
                                   [r for r in rows if r["status"] in ("overdue", "unverified")]},
                                  ensure_ascii=False, indent=2, default=str))
        else:
            for line in lines(rows, year, day, show_all):
                click.echo(line)
        raise SystemExit(1 if any(r["status"] == "overdue" for r in rows) else 0)
    return watch
