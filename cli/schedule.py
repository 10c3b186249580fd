"""`nianbao crawl` helpers: the archive's crawl lock and the `--due` selection.

NIANBAO_NOW (an ISO 8601 instant, e.g. `2027-01-01T12:00:00+08:00`; UTC without an offset)
freezes the clock `--due` judges by. It is for tests and for asking "what would be due then";
it changes nothing else (the run's own timestamps stay real).
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from urllib.parse import urlsplit

import click

from archive.lock import ArchiveBusy, ArchiveLock

EXIT_BUSY = 4    # another crawl of the same archive holds its lock; nothing was done
_held: list[ArchiveLock] = []   # held until the process exits (the kernel drops it then)


def take_lock(db: str) -> ArchiveLock:
    """The archive's crawl lock for the rest of this process, or one line and exit code 4."""
    try:
        lock = ArchiveLock(db).acquire()
    except ArchiveBusy as e:
        click.echo(f"nianbao crawl: {e}; exiting (exit code {EXIT_BUSY})", err=True)
        sys.exit(EXIT_BUSY)
    _held.append(lock)
    return lock


def now() -> datetime:
    from nianbao.schedule import parse_instant
    frozen = os.environ.get("NIANBAO_NOW")
    if frozen:
        try:
            return parse_instant(frozen)
        except ValueError:
            raise click.BadParameter(f"NIANBAO_NOW={frozen!r} is not an ISO 8601 instant") from None
    return datetime.now(timezone.utc)


def plan(db: str, sources, at: datetime) -> list[tuple[object, object]]:
    """(source, Decision) for each enabled source, judged from the archive's record of its last run."""
    import sqlite3

    from archive.schedule import last_runs
    from nianbao.schedule import decide
    try:
        last = last_runs(db)
    except sqlite3.DatabaseError as e:   # not an archive, or damaged: nothing can be judged
        click.echo(f"nianbao crawl --due: cannot read the runs of {db} ({e})", err=True)
        sys.exit(2)
    return [(s, decide(s.schedule, urlsplit(s.url).hostname or "", last.get(s.id), at))
            for s in sources if s.enabled]


def due_only(db: str, sources) -> tuple[str, ...]:
    """The ids of the due sources, after printing the plan to stderr; exit 0 when none is due."""
    at = now()
    decisions = plan(db, sources, at)
    for s, d in decisions:
        click.echo(f"  {'due    ' if d.due else 'not due'} {s.id}: {d.reason}", err=True)
    due = tuple(s.id for s, d in decisions if d.due)
    if not due:
        click.echo(f"crawl --due: nothing is due at {at.isoformat(timespec='seconds')} "
                   f"({len(decisions)} enabled sources); archive: {db}")
        sys.exit(0)
    click.echo(f"crawl --due: {len(due)} of {len(decisions)} sources due: {', '.join(due)}", err=True)
    return due
