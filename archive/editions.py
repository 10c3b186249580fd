"""Which report is *counted*: the one rule every aggregate, chart and canned query follows
(docs/archive.md, "Counting").

An agency-year can have several report rows: the report (its HTML page and its attachment are
already ONE row, with one version per part), a 图解, a 更正 notice, a second copy. Summing them
double-counts (a 更正 that republishes table 三 doubled 青山县 2022). `counted_rows` picks exactly
one counted row per (agency, report year): the latest valid statement of the numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

from archive.agency import resolve

# Kinds that are never counted, whatever they contain.
NEVER = {"graphic": "图解: pictures of the report, never counted"}


@dataclass(frozen=True)
class Counted:
    counted: int          # 1 for the one row per agency-year that aggregates sum
    reason: str           # why, in one line (report page, report_figures.counted_reason)
    agency_key: str | None   # the key it is grouped under (agency_aliases followed)
    supersedes: int | None = None   # a counted 更正: the report whose figures it replaces
    group: tuple = ()     # (agency key, year), or ("edition", primary id) when either is unknown


def counted_rows(conn) -> dict[int, Counted]:
    """THE counting rule, for every report id.

    1. Reports are grouped by (agency key with `agency_aliases` followed, report year); a report
       whose key or year is unknown is grouped with its editions (`edition_of`) only.
    2. A 图解 (`graphic`) is never counted, nor a 更正 notice (`correction`) without table 三.
    3. A 更正 that republishes table 三 is the latest valid statement of the numbers: the latest
       such 更正 (by declared date, then arrival) is counted and supersedes the report. Tables it
       does not reprint (often 四) are still read from the report it corrects (`supersedes`).
    4. Otherwise the report itself is counted (kind `report` or `attachment_only`; an HTML page
       and its attachment are one report row already). If a group holds several, the one with
       table cells, then the primary edition, then the first stored.
    Every other row of the group is not counted, and its reason names the counted one.
    """
    rows = conn.execute("""
        SELECT r.id, r.agency_key, r.report_year, r.kind, r.edition_of,
               COALESCE(r.published, substr(r.first_seen, 1, 10)),
               EXISTS (SELECT 1 FROM cells c WHERE c.version_id = r.current_version_id
                       AND c.tbl = 't3'),
               EXISTS (SELECT 1 FROM cells c WHERE c.version_id = r.current_version_id)
        FROM reports r ORDER BY r.id""").fetchall()
    resolved: dict[str | None, str | None] = {}
    groups: dict[tuple, list[tuple]] = {}
    keys: dict[int, str | None] = {}
    for rid, key, year, kind, edition_of, when, has_t3, has_cells in rows:
        if key not in resolved:
            resolved[key] = resolve(conn, key)
        k = resolved[key]
        keys[rid] = k
        group = (k, year) if k and isinstance(year, int) else ("edition", edition_of or rid)
        groups.setdefault(group, []).append((rid, kind, edition_of, when or "", has_t3, has_cells))
    out: dict[int, Counted] = {}
    for group, members in groups.items():
        fixes = sorted((m for m in members if m[1] == "correction" and m[4]),
                       key=lambda m: (m[3], m[0]))
        reports = sorted((m for m in members if m[1] not in NEVER and m[1] != "correction"),
                         key=lambda m: (not m[5], m[2] is not None, m[0]))
        base = reports[0][0] if reports else None
        if fixes:
            chosen = fixes[-1][0]
            why = (f"更正 republishes the tables: supersedes report {base}" if base
                   else "更正 republishes the tables (no report of this agency-year archived)")
            out[chosen] = Counted(1, why, keys[chosen], base, group)
        elif base is not None:
            chosen = base
            out[chosen] = Counted(1, "the report of this agency-year", keys[chosen], None, group)
        else:
            chosen = None
        for rid, kind, _edition_of, _when, has_t3, _cells in members:
            if rid == chosen:
                continue
            if kind in NEVER:
                why = NEVER[kind]
            elif kind == "correction" and not has_t3:
                why = "更正 without table 三: never counted"
            elif rid == base:
                why = f"superseded by 更正 {chosen}"
            elif kind == "correction":
                why = f"superseded by the later 更正 {chosen}"
            else:
                why = f"report {chosen} is counted for this agency-year"
            out[rid] = Counted(0, why, keys[rid], None, group)
    return out
