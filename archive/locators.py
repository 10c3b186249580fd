"""A cell's locator as stored: a printf form and up to four numbers (schema migration 23).

`html:table[1]/r3/c2` is stored as the form `html:table[%d]/r%d/c%d`, named once in
`cell_locators`, and the numbers 1, 3, 2 in `cell_values.loc1…loc4`. The `cells` view gives the
locator back with SQLite's own `printf(form, loc1, loc2, loc3, loc4)`, so plain SQL reads it
without any function of ours. A locator was ~19 bytes in each of ~180 cells per report; its
form id and numbers take ~6 (docs/archive.md#cells).

Only numbers printf gives back exactly become slots: ASCII digit runs without a leading zero
(`r03` stays literal), at most 15 digits, the first four of the locator. Every `%` of the rest
is doubled.
"""
from __future__ import annotations

import re
from functools import lru_cache

SLOTS = 4
_NUMBER = re.compile(r"(?<![0-9])(?:0|[1-9][0-9]{0,14})(?![0-9])")


@lru_cache(maxsize=65536)   # a crawl's locators repeat: the same tables, rows and columns
def split(locator: str | None) -> tuple:
    """`(form, n1, n2, n3, n4)`; the numbers a locator has fewer of are None, and a None
    locator is all None. `printf(form, n1, n2, n3, n4)` is the locator again."""
    if locator is None:
        return (None,) * (SLOTS + 1)
    parts, numbers, pos = [], [], 0
    for m in _NUMBER.finditer(locator):
        if len(numbers) == SLOTS:
            break
        parts += [locator[pos:m.start()].replace("%", "%%"), "%d"]
        numbers.append(int(m.group()))
        pos = m.end()
    parts.append(locator[pos:].replace("%", "%%"))
    return ("".join(parts), *numbers, *[None] * (SLOTS - len(numbers)))
