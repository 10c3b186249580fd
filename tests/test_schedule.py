"""`nianbao crawl --due`: the pure decision (nianbao/schedule.py) with a frozen clock across the
season boundaries, the registry's check of `schedule`, the archive's record of last runs, and a
farm crawl that takes exactly the due sources."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from crawler import registry as reg
from nianbao.schedule import CST, DAY, ScheduleError, check_cron, decide, host_jitter, in_season, next_slot, previous_slot
from tests.crawl_helpers import FAST, NIANBAO, ROOT, q, write_registry

HOST = "www.example.gov.cn"
MINUTE, WEEKDAY = host_jitter(HOST)


def at(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def slot_on(day: date, host: str = HOST) -> datetime:
    return datetime.combine(day, datetime.min.time(), CST) + host_jitter(host)[0]


# ---------------------------------------------------------------- the season and the jitter
def test_season_is_1_january_to_30_april():
    assert in_season(date(2027, 1, 1)) and in_season(date(2027, 4, 30))
    assert not in_season(date(2027, 5, 1)) and not in_season(date(2026, 12, 31))


def test_jitter_is_deterministic_bounded_and_spreads_hosts():
    assert host_jitter(HOST) == host_jitter(HOST.upper())   # host names are case-insensitive
    hosts = [f"www.county{i}.gov.cn" for i in range(2000)]
    minutes = [host_jitter(h)[0] for h in hosts]
    weekdays = [host_jitter(h)[1] for h in hosts]
    assert all(timedelta(0) <= m < DAY for m in minutes)
    assert set(weekdays) == set(range(7))
    # thousands of hosts do not start in the same hour: no hour of the day holds more than 10 %
    per_hour = [sum(1 for m in minutes if m // timedelta(hours=1) == h) for h in range(24)]
    assert max(per_hour) < 200, per_hour


def test_slots_are_daily_in_season_and_weekly_outside():
    # in season: one slot every day at the host's minute
    now = at(2027, 2, 10, 23, 59)
    assert previous_slot(None, HOST, now) == slot_on(date(2027, 2, 10))
    # outside: once a week, on the host's weekday
    prev = previous_slot(None, HOST, at(2027, 7, 15, 12))
    assert prev.weekday() == WEEKDAY and at(2027, 7, 8, 12) < prev <= at(2027, 7, 15, 12)
    assert next_slot(None, HOST, prev) - prev == timedelta(days=7)


# ---------------------------------------------------------------- across the season's boundaries
def test_31_december_to_1_january_weekly_becomes_daily():
    """A source crawled on 29 Dec is not due on 31 Dec (weekly, unless its weekday slot passed),
    and is due on 1 January once the host's first daily slot of the season has passed."""
    week_slot = previous_slot(None, HOST, at(2026, 12, 31, 23, 59))
    last = week_slot + timedelta(minutes=5)                      # crawled just after its weekly slot
    before = decide(None, HOST, last, at(2026, 12, 31, 23, 59))
    assert not before.due and "weekly" in before.reason
    assert before.next == slot_on(date(2027, 1, 1))              # the season's first slot
    jan1 = slot_on(date(2027, 1, 1))
    assert not decide(None, HOST, last, jan1 - timedelta(minutes=1)).due
    after = decide(None, HOST, last, jan1 + timedelta(minutes=1))
    assert after.due and "daily" in after.reason and after.slot == jan1
    # and the next day again: daily
    crawled = jan1 + timedelta(minutes=10)
    assert not decide(None, HOST, crawled, jan1 + timedelta(hours=23)).due
    assert decide(None, HOST, crawled, slot_on(date(2027, 1, 2)) + timedelta(minutes=1)).due


def test_30_april_to_1_may_daily_becomes_weekly():
    last = slot_on(date(2027, 4, 30)) + timedelta(minutes=5)     # the season's last daily crawl
    # 1 May at the same minute: in season it would be due again; outside it waits for the weekday
    may1 = slot_on(date(2027, 5, 1)) + timedelta(minutes=30)
    d = decide(None, HOST, last, may1)
    week_day = date(2027, 5, 1) + timedelta(days=(WEEKDAY - date(2027, 5, 1).weekday()) % 7)
    assert d.due == (week_day == date(2027, 5, 1))
    first_weekly = slot_on(week_day)
    assert next_slot(None, HOST, last) == first_weekly
    assert not decide(None, HOST, last, first_weekly - timedelta(minutes=1)).due
    assert decide(None, HOST, last, first_weekly + timedelta(minutes=1)).due
    # a week after that crawl, once more
    crawled = first_weekly + timedelta(minutes=3)
    assert not decide(None, HOST, crawled, crawled + timedelta(days=6, hours=23)).due
    assert decide(None, HOST, crawled, first_weekly + timedelta(days=7, minutes=1)).due


def test_never_crawled_is_due_and_a_run_in_the_future_is_not():
    assert decide(None, HOST, None, at(2027, 8, 1)).due
    assert decide("0 3 * * 1", HOST, None, at(2027, 8, 1)).due
    assert not decide(None, HOST, at(2027, 8, 2), at(2027, 8, 1)).due


def test_the_clock_is_china_standard_time_whatever_the_callers_zone():
    # 30 Apr 20:00 UTC is 1 May 04:00 in China: out of season already
    utc = datetime(2027, 4, 30, 20, 0, tzinfo=timezone.utc)
    assert "weekly" in decide(None, HOST, utc - DAY, utc).reason
    assert "daily" in decide(None, HOST, utc - DAY, utc - timedelta(hours=9)).reason
    with pytest.raises(ValueError):
        decide(None, HOST, None, datetime(2027, 1, 1))          # naive: ambiguous, refused


# ---------------------------------------------------------------- cron schedules
def test_cron_schedule_overrides_the_season():
    cron = "0 3 * * 1"                                            # Mondays 03:00 China time
    monday = at(2027, 1, 4, 3, 0)                                 # in season: still weekly
    last = monday - timedelta(days=6)                              # Tuesday before
    assert not decide(cron, HOST, last, monday - timedelta(minutes=1)).due
    d = decide(cron, HOST, last, monday + timedelta(minutes=1))
    assert d.due and d.slot == monday and "cron" in d.reason
    assert not decide(cron, HOST, monday + timedelta(minutes=2), at(2027, 1, 10, 23)).due
    assert decide(cron, HOST, monday + timedelta(minutes=2), at(2027, 1, 10, 23)).next == at(2027, 1, 11, 3)
    # across New Year: a monthly schedule on the 1st
    assert decide("30 6 1 * *", HOST, at(2026, 12, 1, 7), at(2027, 1, 1, 6, 31)).due
    assert not decide("30 6 1 * *", HOST, at(2026, 12, 1, 7), at(2027, 1, 1, 6, 29)).due


@pytest.mark.parametrize("bad", ["bogus", "61 * * * *", "* * *", "0 3 * * 8", ""])
def test_bad_cron_expressions_are_refused(bad):
    with pytest.raises(ScheduleError, match="cron"):
        check_cron(bad)


def test_registry_refuses_a_bad_schedule_with_the_source_named(tmp_path):
    ok = {"id": "a", "name": "A", "url": "https://www.a.gov.cn/col/1/"}
    assert reg.parse([ok | {"schedule": "0 3 * * 1"}])[0].schedule == "0 3 * * 1"
    with pytest.raises(reg.RegistryError, match=r"source #1 \(a\): schedule '0 25 \* \* \*' is not a valid cron"):
        reg.parse([ok | {"schedule": "0 25 * * *"}])
    path = write_registry(tmp_path / "r.yml", [ok | {"schedule": "every day"}])
    proc = subprocess.run(NIANBAO + ["crawl", "--due", "--db", str(tmp_path / "x.db"), "--registry", str(path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "is not a valid cron expression" in proc.stderr
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------- the archive's record of last runs
def test_last_runs_count_only_runs_that_went_to_their_end(tmp_path):
    from archive.schedule import last_runs
    from archive.writer import Archive
    db = tmp_path / "a.db"
    assert last_runs(db) == {} and not db.exists()               # no archive yet: nothing created
    arch = Archive(db)
    r1 = arch.start_run(["a", "b"])
    arch.finish_run(r1, "finished", "finished", {})
    r2 = arch.start_run(["b"])
    arch.finish_run(r2, "partial", "finished", {})
    r3 = arch.start_run(["a", "c"])                                # killed: never closed
    arch.finish_run(arch.start_run(["c"]), "aborted", "shutdown", {})
    arch.close()
    started = dict(q(db, "SELECT id, started_at FROM crawl_runs"))
    got = last_runs(db)
    assert set(got) == {"a", "b"}                                  # c never ran to its end
    assert got["a"] == datetime.fromisoformat(started[r1]) and got["b"] == datetime.fromisoformat(started[r2])
    assert got["a"].tzinfo is not None and r3


# ---------------------------------------------------------------- the command, against the farm
def _shift_run(db, run_id: int, when: datetime) -> None:
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE crawl_runs SET started_at = ?, finished_at = ? WHERE id = ?", (stamp, stamp, run_id))
    conn.commit()
    conn.close()


def _due(db, registry, now: datetime) -> subprocess.CompletedProcess:
    return subprocess.run(NIANBAO + ["crawl", "--due", "--db", str(db), "--registry", str(registry),
                                     "--log-level", "WARNING", *FAST],
                          cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "NIANBAO_NOW": now.isoformat(), "PYTHONUNBUFFERED": "1"})


def _new_run(db, before: int) -> tuple[int, list[str], set[str]]:
    (rid, sources), = q(db, "SELECT id, sources FROM crawl_runs WHERE id > ?", (before,))
    captured = {s for (s,) in q(db, "SELECT DISTINCT source_id FROM captures WHERE run_id = ? AND source_id IS NOT NULL",
                                (rid,))}
    return rid, sorted(json.loads(sources)), captured


@pytest.mark.slow
def test_crawl_due_takes_exactly_the_due_sources_across_new_year(tmp_path):
    """Three farm sources: A crawled the day before, B eight days before, C never (with a cron
    schedule, Wednesdays 03:00). On 31 December (weekly) B and C are due; on 1 January (daily, the
    season) A and B are, C is not (its Wednesday, 30 Dec, passed before its crawl); a minute later nothing."""
    from archive.writer import Archive
    from farm import Farm
    with Farm(port=0) as farm:
        by_id = {s["id"]: s for s in farm.sources()}
        a, b, c = by_id["farm-hw-prov-truecms"], by_id["farm-gd-zwgk"], by_id["farm-hn-county"]
        registry = write_registry(tmp_path / "r.yml", [a, b, c | {"schedule": "0 3 * * 3"}])
        db = tmp_path / "archive.db"
        host_a = urlsplit(a["url"]).hostname
        # late on 31 Dec, but before A's host has its weekly slot if that falls in the last day
        now1 = at(2026, 12, 31, 23, 0)
        week_slot = previous_slot(None, host_a, now1)
        if week_slot > now1 - DAY:
            now1 = week_slot - timedelta(minutes=1)
        assert not in_season(now1.date())
        arch = Archive(db)
        run_a, run_b = arch.start_run([a["id"]]), arch.start_run([b["id"]])
        for rid in (run_a, run_b):
            arch.finish_run(rid, "finished", "finished", {})
        arch.close()
        _shift_run(db, run_a, now1 - DAY)
        _shift_run(db, run_b, now1 - 8 * DAY)
        assert not decide(None, host_a, now1 - DAY, now1).due          # the premises of the test
        assert now1 > at(2026, 12, 30, 3, 0)

        proc = _due(db, registry, now1)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rid1, sources, captured = _new_run(db, run_b)
        assert sources == sorted([b["id"], c["id"]]) and captured == {b["id"], c["id"]}
        assert f"not due {a['id']}" in proc.stderr and "weekly" in proc.stderr
        _shift_run(db, rid1, now1)

        # New Year: the season starts, daily; 23:59 is after every host's slot of the day
        now2 = at(2027, 1, 1, 23, 59)
        proc = _due(db, registry, now2)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rid2, sources, captured = _new_run(db, rid1)
        assert sources == sorted([a["id"], b["id"]]) and captured == {a["id"], b["id"]}
        assert f"not due {c['id']}" in proc.stderr
        _shift_run(db, rid2, now2)

        proc = _due(db, registry, now2 + timedelta(minutes=1))
        assert proc.returncode == 0 and "nothing is due" in proc.stdout
        assert q(db, "SELECT MAX(id) FROM crawl_runs") == [(rid2,)]     # no run opened


def test_due_refuses_a_bad_clock_or_a_damaged_archive_with_exit_2(tmp_path):
    registry = write_registry(tmp_path / "r.yml", [{"id": "a", "name": "A", "url": "https://www.a.gov.cn/col/1/"}])
    (tmp_path / "bad.db").write_bytes(b"not a database at all")
    cmd = NIANBAO + ["crawl", "--due", "--registry", str(registry), "--db"]
    bad_db = subprocess.run(cmd + [str(tmp_path / "bad.db")], cwd=ROOT, capture_output=True, text=True)
    assert bad_db.returncode == 2 and "cannot read the runs of" in bad_db.stderr
    bad_now = subprocess.run(cmd + [str(tmp_path / "new.db")], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "NIANBAO_NOW": "yesterday"})
    assert bad_now.returncode == 2 and "NIANBAO_NOW='yesterday' is not an ISO 8601 instant" in bad_now.stderr
    assert not (tmp_path / "new.db").exists()
