"""`nianbao export`: CSV and JSON Lines of the wide views, blanks kept blank."""
from __future__ import annotations

import csv
import json

from archive_helpers import store
from click.testing import CliRunner

from archive.writer import Archive
from bench.synthetic import make_doc, set_cell
from cli.main import main


def test_export_csv_and_jsonl(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("海宁市人民政府", 2023, seed=1)
    set_cell(doc, "t3", "granted", "legal_research", "")          # a blank cell
    store(arc, doc, "http://t/a")
    store(arc, make_doc("某市教育局", 2020, seed=2), "http://t/b")
    arc.close()
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["export", "--db", str(tmp_path / "a.db"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {"t3_wide.csv", "t3_wide.jsonl", "report_overview.csv",
                                              "t2_wide.jsonl", "t4_wide.csv", "current_checks.jsonl"}
    rows = [json.loads(line) for line in (out / "t3_wide.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == 25 + 23                                   # 2021 + 2019 layouts
    granted = next(r for r in rows if r["row_key"] == "granted" and r["report_year"] == 2023)
    assert granted["legal_research"] is None                     # blank stays null, not 0
    assert granted["natural_person"] == doc["tables"]["t3"]["granted"]["natural_person"]
    assert granted["row_label"] == "（一）予以公开"                 # the printed label beside the key
    with open(out / "t3_wide.csv", encoding="utf-8-sig") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 48
    # A spreadsheet reads like the report: 自然人 beside natural_person, the row's printed label.
    assert "natural_person（自然人）" in table[0] and "row_label" in table[0]
    row = next(r for r in table if r["row_key"] == "granted" and r["report_year"] == "2023")
    assert row["legal_research（科研机构）"] == "" and row["row_label"] == "（一）予以公开"
    assert row["natural_person（自然人）"] == str(doc["tables"]["t3"]["granted"]["natural_person"])
    overview = (out / "report_overview.csv").read_text("utf-8-sig")
    assert "海宁市人民政府" in overview and "某市教育局" in overview
