"""Development-time tool: make the committed DOC attachments (farm/data/doc/*.doc + *.json).

There is no DOC writer in Python, so a DOCX made by farm.attachments is converted once with
LibreOffice (`soffice --headless --convert-to doc`). CI has no LibreOffice; it only serves the
committed bytes and reads them back with antiword. The DOC holds the three tables under a
generic title (no agency, no year), so it can be attached to any report of its format; the
JSON holds its cells, which the report then prints in its body too.

    python -m farm.docgen        # needs soffice on PATH
"""
from __future__ import annotations

import json
import random
import subprocess
import tempfile
from pathlib import Path

from .attachments import DOC_DIR, _docx, _grid_keys, report_grids
from .printed import print_cells
from .tablegen import make_values

TITLE = "政府信息公开工作年度报告统计表"
VARIANTS = {  # name -> (fmt, year the numbers are drawn for, blanks, breaks)
    "tables_2021": ("2021", 2023, False, ()),
    "tables_2021_b": ("2021", 2022, False, ()),  # a second plain one: two agencies, two files
    "tables_2021_blanks": ("2021", 2022, True, ()),
    "tables_2021_t3bal": ("2021", 2024, False, ("T3-BAL",)),
    "tables_2019": ("2019", 2020, False, ()),
}


def build(name: str, out_dir: Path = DOC_DIR) -> None:
    fmt, year, blanks, breaks = VARIANTS[name]
    tv = make_values("样例单位" + name, year, fmt, 7, breaks)
    cells = print_cells(tv, random.Random(f"doc|{name}"), blanks)
    tables = report_grids(fmt, year, random.Random(f"doclabels|{name}"), year_free=True)
    data = _docx(TITLE, None, tables, cells, for_doc=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"{name}.docx"
        src.write_bytes(data)
        subprocess.run(["soffice", "--headless", "--convert-to", "doc", "--outdir", tmp,
                        str(src)], check=True, capture_output=True, timeout=180)
        doc = (Path(tmp) / f"{name}.doc").read_bytes()
    assert doc[:4] == b"\xd0\xcf\x11\xe0", "LibreOffice did not write an OLE2 .doc"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.doc").write_bytes(doc)
    meta = {"fmt": fmt, "blanks": blanks, "breaks": list(breaks), "title": TITLE,
            "cells": [cells[k] for k in _grid_keys(tables)]}
    (out_dir / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                          encoding="utf-8")


if __name__ == "__main__":
    for n in VARIANTS:
        build(n)
        print("wrote", n)
