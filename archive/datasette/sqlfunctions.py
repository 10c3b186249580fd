"""SQL functions for canned queries, so that SQL shows canon.py labels instead of spelling them.

nianbao_row_label('t3', 'denied.third_party') → 4.保护第三方合法权益
nianbao_col_label('t3', 'natural_person')     → 自然人
nianbao_row_order('t3', 'granted')            → position of the row in the printed table
nianbao_match('行政复议'), nianbao_exact(…)      → the search index's query for a term (archive/search.py)
"""
from __future__ import annotations

from nianbao import canon


def row_label(tbl: str | None, key: str | None) -> str | None:
    try:
        return canon.row_label(tbl, key) if tbl and key else None
    except (StopIteration, KeyError):
        return key


def col_label(tbl: str | None, key: str | None) -> str | None:
    try:
        return canon.col_label(tbl, key) if tbl and key else None
    except (StopIteration, KeyError):
        return key


_ORDER = {(t, k.key): i for t, keys in canon.ROWS.items() for i, k in enumerate(keys)}


def row_order(tbl: str | None, key: str | None) -> int:
    return _ORDER.get((tbl, key), 999)


def register_functions(conn) -> None:
    conn.create_function("nianbao_row_label", 2, row_label, deterministic=True)
    conn.create_function("nianbao_col_label", 2, col_label, deterministic=True)
    conn.create_function("nianbao_row_order", 2, row_order, deterministic=True)
    from archive import search  # nianbao_match, nianbao_exact (canned query search_reports)
    search.register(conn)
