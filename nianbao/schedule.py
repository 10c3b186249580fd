"""When a source is due for a crawl: a pure decision from its schedule, its last run and "now".

A schedule is a set of *slots* (instants). A source is due when it was never crawled, or when a
slot has passed since its last run started: `last_run < latest slot <= now`. A timer that starts
`nianbao crawl --due` every hour therefore crawls each source once per slot, whatever the hour
the timer fires, and a missed hour (machine off) is made up by the next one.

Slots come from the source's `schedule` (a cron expression, read in China Standard Time) or,
without one, from the default season-aware policy:

* the 年报 season, 1 January – 30 April (China's calendar: every deadline falls in it): one slot
  a day;
* the rest of the year: one slot a week.

Per-host jitter: a host's slots are not at midnight but at a fixed minute of the day (in season)
and a fixed weekday (out of season) derived from a hash of the host name, so that thousands of
sources do not all fall due in the same hour, while the sources of one host fall due together
(one crawl reads them, politely, one request at a time). The jitter is bounded by the period: the
daily slot is within [00:00, 24:00) of its day and the weekly slot within the 7 days of its week,
so the cadence stays exactly daily / weekly. It is deterministic: the same host gets the same
minute and weekday on every machine and in every run.

Everything here is pure (no clock, no I/O): the caller passes `now`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

# China Standard Time has had no daylight saving since 1991: a fixed offset is exact.
CST = timezone(timedelta(hours=8), "CST")
SEASON_LAST_MONTH = 4        # the 年报 season: 1 January to 30 April inclusive
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


class ScheduleError(ValueError):
    """A `schedule` that is not a valid cron expression."""


def check_cron(expr: str) -> None:
    """Raise ScheduleError with a readable message if `expr` is not a cron expression croniter
    reads (five fields: minute hour day-of-month month day-of-week; or @daily, @weekly…)."""
    if not isinstance(expr, str) or not expr.strip():
        raise ScheduleError("schedule must be a cron expression like '0 3 * * 1', not empty")
    try:
        croniter(expr.strip(), datetime(2000, 1, 1, tzinfo=CST))
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as e:
        raise ScheduleError(f"schedule {expr!r} is not a valid cron expression "
                            f"(minute hour day month weekday, e.g. '0 3 * * 1'): {e}") from None


def in_season(day: date) -> bool:
    """Whether a day (China's calendar) is in the 年报 season, 1 Jan – 30 Apr."""
    return day.month <= SEASON_LAST_MONTH


def host_jitter(host: str) -> tuple[timedelta, int]:
    """(minute of the day, weekday 0=Monday) of a host's slots: from a hash of the host name
    (lower case, no port), so deterministic across machines and Python runs."""
    h = int.from_bytes(hashlib.sha256((host or "").lower().encode("utf-8")).digest()[:8], "big")
    return timedelta(minutes=h % 1440), (h // 1440) % 7


def _default_slot(day: date, host: str) -> datetime | None:
    """The default policy's slot on `day` (China's calendar), or None when the day has none."""
    minute, weekday = host_jitter(host)
    if not in_season(day) and day.weekday() != weekday:
        return None
    return datetime.combine(day, time(), CST) + minute


def _cst(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("schedule times must be timezone-aware")
    return t.astimezone(CST)


def previous_slot(schedule: str | None, host: str, now: datetime) -> datetime:
    """The latest slot at or before `now` (for a cron expression: strictly before, croniter's rule)."""
    now = _cst(now)
    if schedule:
        return croniter(schedule.strip(), now).get_prev(datetime)
    day = now.date()
    for _ in range(9):   # a weekly slot is at most 7 days back (8 with a slot later today)
        slot = _default_slot(day, host)
        if slot is not None and slot <= now:
            return slot
        day -= DAY
    raise AssertionError("unreachable: the default policy has a slot every week")


def next_slot(schedule: str | None, host: str, after: datetime) -> datetime:
    """The first slot strictly after `after`."""
    after = _cst(after)
    if schedule:
        return croniter(schedule.strip(), after).get_next(datetime)
    day = after.date()
    for _ in range(9):
        slot = _default_slot(day, host)
        if slot is not None and slot > after:
            return slot
        day += DAY
    raise AssertionError("unreachable: the default policy has a slot every week")


def policy(schedule: str | None, now: datetime) -> str:
    """The words for the schedule in force at `now`."""
    if schedule:
        return f"cron {schedule.strip()!r} (China Standard Time)"
    return "daily (年报 season, 1 Jan – 30 Apr)" if in_season(_cst(now).date()) else "weekly (outside the 年报 season)"


@dataclass(frozen=True)
class Decision:
    due: bool
    reason: str
    slot: datetime | None = None       # the slot that made it due, or the latest one it has covered
    next: datetime | None = None       # when it falls due next (not due only)


def decide(schedule: str | None, host: str, last_run: datetime | None, now: datetime) -> Decision:
    """Is a source due at `now`, given its schedule, its host and when its last run started?"""
    rule = policy(schedule, now)
    if last_run is None:
        return Decision(True, f"never crawled; {rule}")
    slot = previous_slot(schedule, host, now)
    if _cst(last_run) < slot:
        return Decision(True, f"last run {_fmt(last_run)} is before the slot {_fmt(slot)}; {rule}", slot)
    nxt = next_slot(schedule, host, max(_cst(now), _cst(last_run)))
    return Decision(False, f"last run {_fmt(last_run)}; next slot {_fmt(nxt)}; {rule}", slot, nxt)


def _fmt(t: datetime) -> str:
    return _cst(t).strftime("%Y-%m-%d %H:%M CST")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant (`2027-01-01T03:00:00+08:00`, `…Z`); without an offset it is UTC
    (the archive's timestamps are UTC)."""
    t = datetime.fromisoformat(text.strip())
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)
