"""Agency identity in the archive: the source's region, hand-made aliases (renamed agencies)."""
from __future__ import annotations

from nianbao.agency import agency_key


def source_region(db, source_id: str | None) -> str | None:
    if not source_id:
        return None
    conn = getattr(db, "conn", db)
    row = conn.execute("SELECT region FROM sources WHERE id = ?", [source_id]).fetchone()
    return row[0] if row else None


def resolve(db, key: str | None) -> str | None:
    """Follow the hand-made `agency_aliases` mapping (renamed agencies) to the canonical key."""
    seen = set()
    while key and key not in seen:
        seen.add(key)
        row = db.execute("SELECT agency_key FROM agency_aliases WHERE alias_key = ?", [key]).fetchone()
        if not row:
            break
        key = row[0]
    return key


def link(db, alias_name: str, canonical_name: str, note: str | None = None,
         region: str | None = None) -> list[int]:
    """Record by hand that `alias_name` is the same agency as `canonical_name` (rename, 机构改革)
    and re-run the cross-year checks of the reports concerned. Returns their ids."""
    from archive.checks import refresh_cross_year
    from archive.checks.cross_year import agency_group
    conn = getattr(db, "conn", db)
    alias, canonical = agency_key(alias_name, region), agency_key(canonical_name, region)
    if not alias or not canonical or alias == canonical:
        return []
    conn.execute("INSERT INTO agency_aliases (alias_key, agency_key, note) VALUES (?, ?, ?) "
                 "ON CONFLICT(alias_key) DO UPDATE SET agency_key = excluded.agency_key, "
                 "note = excluded.note", [alias, canonical, note])
    keys = agency_group(conn, canonical)
    marks = ",".join("?" * len(keys))
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM reports WHERE agency_key IN ({marks}) ORDER BY report_year", keys)]
    for rid in ids:
        refresh_cross_year(conn, rid)
    return ids
