"""Source health: after every closed run, one status per source, kept with its history.

`assess(conn, run_id)` reads only what the archive holds about the run — its captures (final
outcome per URL, so a retried request that later answered is not a failure), its stats (the
lists' expected-vs-found figures `nianbao/lists/<source>`, incomplete lists) — and the source's
previous health row. Statuses, first match wins (docs/operations.md, "Source health"):

  unreachable        no list page could be read: connection refused/reset, timeout, DNS, or an
                     HTTP error on every list page (or nothing of the source was even asked)
  robots_denied      robots.txt forbids the column (or its reports)
  blocked            an anti-bot wall answered (412/521/403 challenge, throttling) and the URL
                     never answered usably afterwards in this run
  changed_structure  the column answered but nothing on it was read, while the list prints a
                     size or the last run read items there (the adapter or fallback that worked
                     before finds nothing)
  empty              the column answered and lists no item (it says so itself, or had none before)
  incomplete         the lists showed fewer entries than they print, a cap cut them, or a list
                     page failed (expected > found)
  errors             more than ERROR_RATE of the details and files asked for failed (and at
                     least MIN_ERRORS of them)
  shrunk             the lists showed more than SHRINK_TOLERANCE fewer entries than last time
  ok                 none of these
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from archive.tx import transaction

STATUSES = ("ok", "empty", "shrunk", "incomplete", "blocked", "robots_denied", "unreachable", "errors",
            "changed_structure")
ERROR_RATE = 0.2          # share of failed details/files above which a source has `errors`
MIN_ERRORS = 5            # … but a handful of broken attachments is not a broken source
SHRINK_TOLERANCE = 0.1    # a report or two withdrawn is ordinary life (reports.gone_at says which)
SAMPLE = 5                # sample URLs kept in `detail`
LIST_ROLES = ("list", "api")
USABLE = ("ok", "not_modified")


@dataclass
class Health:
    source_id: str
    status: str
    why: str
    items: int | None = None
    expected: int | None = None
    lists_ok: int = 0
    lists_failed: int = 0
    fetched: int = 0
    failed: int = 0
    previous_status: str | None = None
    detail: dict = field(default_factory=dict)

    def row(self, run_id: int, when: str) -> dict:
        return {"run_id": run_id, "source_id": self.source_id, "checked_at": when, "status": self.status,
                "previous_status": self.previous_status, "items": self.items, "expected": self.expected,
                "lists_ok": self.lists_ok, "lists_failed": self.lists_failed, "fetched": self.fetched,
                "failed": self.failed,
                "detail": json.dumps({"why": self.why, **self.detail}, ensure_ascii=False, default=str)}


def _urls(conn: sqlite3.Connection, run_id: int, sid: str) -> list[dict]:
    """One row per (URL, role) the run asked for on behalf of the source, with its final fate."""
    rows = conn.execute(
        "SELECT url, role, MAX(outcome IN ('ok', 'not_modified')) AS usable,"
        " GROUP_CONCAT(DISTINCT outcome) AS outcomes, MAX(status) AS status, MAX(error) AS error"
        " FROM captures WHERE run_id = ? AND source_id = ? GROUP BY url, role", [run_id, sid]).fetchall()
    return [{"url": u, "role": r, "usable": bool(ok), "outcomes": set((o or "").split(",")), "status": s,
             "error": e} for u, r, ok, o, s, e in rows]


def _failure(u: dict) -> str:
    """What a URL that never answered usably met, worst first."""
    for kind in ("robots_denied", "blocked", "off_scope", "too_large"):
        if kind in u["outcomes"]:
            return kind
    return "http_error" if u["status"] else "network_error"


def _previous(conn: sqlite3.Connection, run_id: int, sid: str) -> tuple[str | None, int | None]:
    """(status, items) of the source's newest health row before this run; items from the newest
    row that read a list at all (a blocked run in between does not reset the comparison)."""
    row = conn.execute("SELECT status FROM source_health WHERE source_id = ? AND run_id < ?"
                       " ORDER BY run_id DESC LIMIT 1", [sid, run_id]).fetchone()
    items = conn.execute("SELECT items FROM source_health WHERE source_id = ? AND run_id < ? AND items IS NOT NULL"
                         " ORDER BY run_id DESC LIMIT 1", [sid, run_id]).fetchone()
    return (row[0] if row else None), (items[0] if items else None)


def _sample(urls: list[dict]) -> list[dict]:
    return [{"url": u["url"], "status": u["status"], "error": u["error"]} for u in urls[:SAMPLE]]


def judge(sid: str, urls: list[dict], figures: dict | None, incomplete: bool, previous: tuple) -> Health:
    """The status of one source in one run (see the module docstring for the order)."""
    prev_status, prev_items = previous
    lists = [u for u in urls if u["role"] in LIST_ROLES]
    others = [u for u in urls if u["role"] not in LIST_ROLES and u["role"] != "robots"]
    bad_lists = [u for u in lists if not u["usable"]]
    # A link the scope rules refused (crawler/scope.py) was never asked for: the crawler protected
    # itself, the portal did not fail. It is kept with its reason, not counted as an error.
    bad_others = [u for u in others if not u["usable"] and "off_scope" not in u["outcomes"]]
    kinds: dict[str, list[dict]] = {}
    for u in bad_lists + bad_others:
        kinds.setdefault(_failure(u), []).append(u)
    items = figures.get("found") if figures else None
    expected = figures.get("expected") if figures else None
    h = Health(sid, "ok", "", items=items, expected=expected, lists_ok=len(lists) - len(bad_lists),
               lists_failed=len(bad_lists), fetched=len(others), failed=len(bad_others), previous_status=prev_status)
    h.detail = {"failures": {k: len(v) for k, v in kinds.items()}, "previous_items": prev_items}

    def verdict(status: str, why: str, sample: list[dict] | None = None) -> Health:
        h.status, h.why = status, why
        if sample:
            h.detail["sample"] = _sample(sample)
        return h

    if not urls:
        return verdict("unreachable", "nothing of the source was fetched or recorded in this run")
    if not h.lists_ok:
        lk = {}
        for u in bad_lists:
            lk.setdefault(_failure(u), []).append(u)
        if "robots_denied" in lk:
            return verdict("robots_denied", "robots.txt forbids the column", lk["robots_denied"])
        if "blocked" in lk:
            return verdict("blocked", "the column answered with an anti-bot page", lk["blocked"])
        how = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in sorted(lk.items())) or "no list page asked"
        return verdict("unreachable", f"no page of the column could be read ({how})", bad_lists)
    if "blocked" in kinds:
        return verdict("blocked", f"{len(kinds['blocked'])} pages answered with an anti-bot page", kinds["blocked"])
    if "robots_denied" in kinds:
        return verdict("robots_denied", f"robots.txt forbids {len(kinds['robots_denied'])} pages",
                       kinds["robots_denied"])
    if not items:
        unprinted = figures.get("unprinted", 0) if figures else 0
        printed_nothing = not figures or unprinted >= figures.get("lists", 0)
        if expected:
            return verdict("changed_structure", f"the column prints {expected} items but none could be read",
                           lists)
        if printed_nothing and prev_items:
            return verdict("changed_structure", f"the column answered but nothing on it was read"
                                                f" (the last run read {prev_items} items)", lists)
        was = f" (the last run read {prev_items})" if prev_items else ""
        return verdict("empty", f"the column lists no item{was}", lists)
    if figures and (figures.get("capped") or figures.get("short") or (expected or 0) > items) or incomplete:
        short = ", ".join(figures.get("short") or []) if figures else ""
        why = f"its lists showed {items} of {expected} entries they print" if (expected or 0) > items else \
            "a list page failed or a cap stopped the list"
        if figures and figures.get("capped"):
            why += "; a cap stopped the list"
        if short:
            h.detail["short_lists"] = figures.get("short")
        return verdict("incomplete", why, bad_lists)
    if bad_others and len(bad_others) >= MIN_ERRORS and len(bad_others) > ERROR_RATE * len(others):
        return verdict("errors", f"{len(bad_others)} of {len(others)} details and files failed", bad_others)
    if prev_items and items < prev_items * (1 - SHRINK_TOLERANCE):
        return verdict("shrunk", f"the lists show {items} entries, {prev_items} last time")
    return verdict("ok", f"{items} entries listed" + (f" of {expected}" if expected and expected != items else ""))


def assess(conn: sqlite3.Connection, run_id: int) -> list[Health]:
    """The health of every source of run `run_id` (nothing is written)."""
    row = conn.execute("SELECT sources, stats FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        raise ValueError(f"no crawl run {run_id}")
    sources = json.loads(row[0] or "[]")
    stats = json.loads(row[1] or "{}")
    incomplete = set(stats.get("nianbao/incomplete_lists") or [])
    out = []
    for sid in sources:
        figures = stats.get(f"nianbao/lists/{sid}")
        out.append(judge(sid, _urls(conn, run_id, sid), figures if isinstance(figures, dict) else None,
                         sid in incomplete, _previous(conn, run_id, sid)))
    return out


def record(conn: sqlite3.Connection, run_id: int, when: str) -> list[Health]:
    """Assess run `run_id` and keep the result (again for the same run replaces its rows)."""
    found = assess(conn, run_id)
    with transaction(conn):
        conn.execute("DELETE FROM source_health WHERE run_id = ?", [run_id])
        for h in found:
            r = h.row(run_id, when)
            conn.execute(f"INSERT INTO source_health ({', '.join(r)}) VALUES ({', '.join('?' * len(r))})",
                         list(r.values()))
    return found


def _rows(conn: sqlite3.Connection, sql: str, args=()) -> list[dict]:
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        d = dict(zip(cols, r))
        d["detail"] = json.loads(d["detail"] or "{}")
        out.append(d)
    return out


def latest(conn: sqlite3.Connection) -> list[dict]:
    """The newest health row of every source (source_health_latest), unhealthy first."""
    return _rows(conn, "SELECT * FROM source_health_latest ORDER BY status = 'ok', source_id")


def of_run(conn: sqlite3.Connection, run_id: int) -> list[dict]:
    return _rows(conn, "SELECT * FROM source_health WHERE run_id = ? ORDER BY status = 'ok', source_id", [run_id])


def history(conn: sqlite3.Connection, source_id: str, limit: int = 50) -> list[dict]:
    return _rows(conn, "SELECT h.*, r.started_at, r.status AS run_status FROM source_health h"
                       " JOIN crawl_runs r ON r.id = h.run_id WHERE h.source_id = ? ORDER BY h.run_id DESC LIMIT ?",
                 [source_id, limit])


# ---------------------------------------------------------------- what a run brought (alerts)
FINDINGS_MAX = 100   # per list in the summary; the counts are always whole


def _dicts(conn: sqlite3.Connection, sql: str, args=()) -> list[dict]:
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


_REPORT_COLS = "r.id AS report_id, r.source_id, r.agency, r.agency_key, r.report_year, r.kind, r.title, r.url"
# Versions captured by the run, and the run that first brought each of their reports.
_RUN_VERSIONS = ("SELECT v.report_id, MIN(c.run_id) AS first_run FROM report_versions v"
                 " JOIN captures c ON c.id = v.capture_id GROUP BY v.report_id")


def run_summary(conn: sqlite3.Connection, run_id: int) -> dict:
    """The run, its unhealthy sources, the sources that recovered, and what is new since the
    previous run: reports new, reports changed (a new version of a report an earlier run brought),
    reports vanished (gone in this run, or missing from their complete list for the first time),
    and failing current checks of the versions this run brought (docs/operations.md)."""
    run = _dicts(conn, "SELECT id, started_at, finished_at, status, finish_reason, sources FROM crawl_runs"
                       " WHERE id = ?", [run_id])
    if not run:
        raise ValueError(f"no crawl run {run_id}")
    run = run[0]
    run["sources"] = json.loads(run["sources"] or "[]")
    rows = of_run(conn, run_id)
    names = dict(conn.execute("SELECT id, name FROM sources").fetchall())
    unhealthy = [{"source_id": r["source_id"], "name": names.get(r["source_id"]), "status": r["status"],
                  "previous_status": r["previous_status"], "why": r["detail"].get("why"),
                  "items": r["items"], "expected": r["expected"], "detail": r["detail"]}
                 for r in rows if r["status"] != "ok"]
    recovered = [r["source_id"] for r in rows if r["status"] == "ok" and r["previous_status"] not in (None, "ok")]
    firsts = f"WITH firsts AS ({_RUN_VERSIONS})"
    new = _dicts(conn, f"{firsts} SELECT {_REPORT_COLS} FROM firsts f JOIN reports r ON r.id = f.report_id"
                       " WHERE f.first_run = ? ORDER BY r.id", [run_id])
    changed = _dicts(conn, f"{firsts} SELECT DISTINCT {_REPORT_COLS} FROM report_versions v"
                           " JOIN captures c ON c.id = v.capture_id JOIN firsts f ON f.report_id = v.report_id"
                           " JOIN reports r ON r.id = v.report_id WHERE c.run_id = ? AND f.first_run < ?"
                           " ORDER BY r.id", [run_id, run_id])
    vanished = _dicts(conn, f"SELECT {_REPORT_COLS}, r.gone_at, r.missing_since FROM reports r"
                            " WHERE r.missing_since = ? OR (r.gone_at IS NOT NULL AND r.gone_at >= ?"
                            " AND r.gone_at <= COALESCE(?, r.gone_at)) ORDER BY r.id",
                      [run_id, run["started_at"], run["finished_at"]])
    failing = _dicts(conn, f"SELECT {_REPORT_COLS}, k.check_id, k.scope, k.expression, k.expected, k.actual,"
                           " k.detail FROM checks k JOIN report_versions v ON v.id = k.version_id"
                           " JOIN captures c ON c.id = v.capture_id JOIN reports r ON r.id = k.report_id"
                           " WHERE c.run_id = ? AND k.is_current = 1 AND k.status = 'fail'"
                           " ORDER BY r.id, k.check_id, k.scope", [run_id])
    findings = {"new_reports": new, "changed_reports": changed, "vanished_reports": vanished,
                "new_failing_checks": failing}
    return {"run": run, "unhealthy": unhealthy, "recovered": recovered,
            "counts": {"sources": len(rows), "unhealthy": len(unhealthy),
                       **{k: len(v) for k, v in findings.items()}},
            "findings": {k: v[:FINDINGS_MAX] for k, v in findings.items()}}
