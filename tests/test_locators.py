"""archive/locators.py: a locator split into a printf form and numbers comes back, byte for
byte, from SQLite's own printf (what the `cells` view runs)."""
from __future__ import annotations

import sqlite3

import pytest

from archive import locators

CASES = ["html:table[1]/r3/c2", "pdf:p12/table[2]/r31/c7", "html:line 245/c3", "html:line 0",
         "html:line 4/blank", "xlsx:sheet[1]/r10/c0", "ocr:p2/table[1]/r03/c4", "a%d%s%%/1/2",
         "1/2/3/4/5/6", "html:line 12345678901234567890", "第3页", "r٣/c3", "", "100%"]


@pytest.mark.parametrize("loc", CASES)
def test_printf_gives_the_locator_back(loc):
    form, *numbers = locators.split(loc)
    assert len(numbers) == locators.SLOTS
    # (the view's expression: printf of an empty form is NULL, not '')
    assert sqlite3.connect(":memory:").execute("SELECT COALESCE(printf(?1, ?2, ?3, ?4, ?5), ?1)",
                                               [form, *numbers]).fetchone()[0] == loc


def test_numbers_become_slots_only_where_printf_is_exact():
    assert locators.split("html:table[1]/r3/c2") == ("html:table[%d]/r%d/c%d", 1, 3, 2, None)
    assert locators.split("r03/c4") == ("r03/c%d", 4, None, None, None)           # leading zero: literal
    assert locators.split("1/2/3/4/5")[0] == "%d/%d/%d/%d/5"                      # four slots
    assert locators.split("n 12345678901234567890")[1:] == (None,) * 4           # too long for a slot
    assert locators.split(None) == (None,) * 5
    # Locators of one shape share their form: that is where the bytes are saved.
    assert len({locators.split(f"html:table[{t}]/r{r}/c{c}")[0] for t in (1, 2) for r in range(40)
                for c in range(8)}) == 1
