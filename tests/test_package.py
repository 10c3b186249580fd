"""`nianbao export --package`: a Frictionless Data Package that frictionless validates, pandas
and DuckDB read with the archive's counts; `--report ID --bundle DIR`: one report's citation
bundle with its original bytes, checked against their sha256.

The archive is the hand-made sample written through the real writer (WARC records included).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.datasette import sample
from cli.main import main

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    db = tmp_path_factory.mktemp("pkg") / "archive.db"
    ids = sample.build(db)
    return db, ids


def export(*args) -> object:
    return CliRunner().invoke(main, ["export", *map(str, args)])


@pytest.fixture(scope="module")
def packages(archive, tmp_path_factory):
    db, _ = archive
    out = {}
    for fmt in ("csv", "jsonl", "parquet"):
        d = tmp_path_factory.mktemp(fmt)
        res = export("--db", db, "--out", d, "--package", "--format", fmt)
        assert res.exit_code == 0, res.output
        assert res.output.strip() == str(d / "datapackage.json")
        out[fmt] = d
    return out


def _archive_counts(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {
            "reports": conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0],
            "cells": conn.execute("SELECT COUNT(*) FROM cells WHERE version_id IN "
                                  "(SELECT current_version_id FROM reports)").fetchone()[0],
            # counted applications, straight from the cells of the counted rows (not report_figures)
            "applications": conn.execute(
                "SELECT SUM(c.value) FROM cells c JOIN reports r ON r.current_version_id = c.version_id "
                "JOIN report_figures f ON f.report_id = r.id AND f.counted = 1 "
                "WHERE c.tbl = 't3' AND c.row_key = 'new_received' AND c.col_key = 'total'").fetchone()[0],
            "checks": conn.execute("SELECT COUNT(*) FROM checks WHERE is_current = 1").fetchone()[0],
            "scorecard": conn.execute("SELECT COUNT(*) FROM scorecard").fetchone()[0],
        }
    finally:
        conn.close()


def test_csv_package_passes_frictionless_validate(packages):
    d = packages["csv"]
    proc = subprocess.run([str(FRICTIONLESS), "validate", "--json", "datapackage.json"], cwd=d,
                          capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["valid"], proc.stdout[-3000:]
    tasks = {t["name"]: t for t in report["tasks"]}
    assert set(tasks) == {"reports", "provenance", "cells", "t2_wide", "t3_wide", "t4_wide", "checks", "scorecard"}
    assert all(t["valid"] for t in tasks.values())


def test_jsonl_package_passes_frictionless_validate(packages):
    from frictionless import Package
    report = Package(packages["jsonl"] / "datapackage.json").validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_validation_is_real_a_broken_foreign_key_fails(packages, tmp_path):
    """The same package with one cell pointing at a report that does not exist must not validate."""
    from frictionless import Package
    broken = tmp_path / "broken"
    shutil.copytree(packages["csv"], broken)
    lines = (broken / "cells.csv").read_text("utf-8").splitlines()
    head, first = lines[0].split(","), lines[1].split(",")
    first[head.index("report_id")] = "999999"
    (broken / "cells.csv").write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", "utf-8")
    report = Package(broken / "datapackage.json").validate()
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


def test_descriptor_has_labels_units_and_keys(packages):
    pkg = json.loads((packages["csv"] / "datapackage.json").read_text("utf-8"))
    res = {r["name"]: r for r in pkg["resources"]}
    t3 = {f["name"]: f for f in res["t3_wide"]["schema"]["fields"]}
    assert t3["natural_person"]["title"] == "自然人" and t3["natural_person"]["unit"] == "件"
    assert t3["natural_person"]["type"] == "integer"
    assert " / " in t3["natural_person"]["description"]            # Chinese / English
    t2 = {f["name"]: f for f in res["t2_wide"]["schema"]["fields"]}
    assert t2["fee_amount_wan_yuan"]["unit"] == "万元" and t2["fee_amount_wan_yuan"]["type"] == "number"
    assert res["t3_wide"]["schema"]["primaryKey"] == ["report_id", "row_key"]
    assert res["scorecard"]["schema"]["primaryKey"] == ["agency_key", "report_year"]
    fks = res["cells"]["schema"]["foreignKeys"]
    assert {fk["reference"]["resource"] for fk in fks} == {"reports", "provenance"}
    prov = {f["name"] for f in res["provenance"]["schema"]["fields"]}
    assert {"url", "fetched_at", "sha256", "warc_file", "warc_offset"} <= prov


def test_pandas_reads_the_csv_and_blanks_stay_blank(packages, archive):
    import pandas as pd
    db, ids = archive
    d = packages["csv"]
    counts = _archive_counts(db)
    reports = pd.read_csv(d / "reports.csv")
    cells = pd.read_csv(d / "cells.csv")
    assert len(reports) == counts["reports"] and len(cells) == counts["cells"]
    assert len(pd.read_csv(d / "checks.csv")) == counts["checks"]
    assert len(pd.read_csv(d / "scorecard.csv")) == counts["scorecard"]
    # The 2019-format report of the sample prints a blank cell: null in the package, never 0.
    conn = sqlite3.connect(db)
    blanks = conn.execute("SELECT COUNT(*) FROM cells WHERE value IS NULL AND version_id IN "
                          "(SELECT current_version_id FROM reports)").fetchone()[0]
    conn.close()
    assert blanks > 0 and cells["value"].isna().sum() == blanks
    assert (cells["row_label"] == "（一）予以公开").any() and (cells["col_label"] == "自然人").any()
    t3 = pd.read_csv(d / "t3_wide.csv")
    assert set(t3["report_id"]) <= set(reports["report_id"])


def test_duckdb_over_the_parquet_returns_the_archives_counts(packages, archive):
    import duckdb
    db, _ = archive
    d = packages["parquet"]
    counts = _archive_counts(db)
    con = duckdb.connect()
    got = con.execute(f"""
        SELECT (SELECT COUNT(*) FROM '{d}/reports.parquet'),
               (SELECT COUNT(*) FROM '{d}/cells.parquet'),
               (SELECT SUM(c.value) FROM '{d}/cells.parquet' c JOIN '{d}/reports.parquet' r USING (report_id)
                WHERE r.counted = 1 AND c.tbl = 't3' AND c.row_key = 'new_received' AND c.col_key = 'total'),
               (SELECT COUNT(*) FROM '{d}/checks.parquet'),
               (SELECT COUNT(*) FROM '{d}/scorecard.parquet')""").fetchone()
    assert got == (counts["reports"], counts["cells"], counts["applications"], counts["checks"],
                   counts["scorecard"])
    assert counts["applications"] > 0
    # the same figure from the wide table, whole numbers typed as integers
    wide = con.execute(f"""SELECT SUM(t.total), typeof(SUM(t.total)) FROM '{d}/t3_wide.parquet' t
        JOIN '{d}/reports.parquet' r USING (report_id) WHERE r.counted = 1 AND t.row_key = 'new_received'""").fetchone()
    assert wide[0] == counts["applications"] and wide[1] in ("HUGEINT", "BIGINT", "INT128")


def test_parquet_package_for_frictionless(packages):
    """frictionless reads Parquet through pandas, which turns a null integer into NaN and reports
    it as a type error. The descriptor must be valid, and NaN-read nulls the only errors."""
    from frictionless import Package
    path = packages["parquet"] / "datapackage.json"
    assert list(Package.metadata_validate(json.loads(path.read_text("utf-8")))) == []
    pkg = Package(path)
    assert [r.name for r in pkg.resources][:3] == ["reports", "provenance", "cells"]
    assert all(r.format == "parquet" for r in pkg.resources)
    report = pkg.validate()
    errors = report.flatten(["type", "cell", "fieldName"])
    assert all(t == "type-error" and cell == "nan" for t, cell, _ in errors), errors[:5]
    # the blanks it trips on are exactly the integer fields that are null somewhere
    assert {f for *_, f in errors} <= {f.name for r in pkg.resources for f in r.schema.fields
                                      if f.type == "integer"}


def test_bundle_holds_the_original_bytes_with_their_sha256(archive, tmp_path):
    db, ids = archive
    out = tmp_path / "bundle"
    res = export("--db", db, "--report", ids["city2021"], "--bundle", out)
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "report.json").read_text("utf-8"))
    assert doc["report"]["id"] == ids["city2021"] and doc["cells"] and doc["checks"]
    parts = sorted(f["part"] for f in doc["files"])
    assert parts == ["attachment", "page"]                      # the page and its PDF attachment
    conn = sqlite3.connect(db)
    for f in doc["files"]:
        data = (out / f["path"]).read_bytes()
        recorded = conn.execute("SELECT sha256 FROM captures WHERE id = ?", [f["capture_id"]]).fetchone()[0]
        assert hashlib.sha256(data).hexdigest() == f["sha256"] == recorded and f["verified"]
    conn.close()
    assert (out / next(f["path"] for f in doc["files"] if f["part"] == "attachment")).read_bytes().startswith(b"%PDF")
    assert any(c["check_id"] == "T3-BAL" and c["status"] == "fail" for c in doc["checks"])   # the planted failure
    assert doc["report"]["url"] in doc["cite"]


def test_bundle_refuses_bytes_that_do_not_match(archive, tmp_path):
    db, ids = archive
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    shutil.copytree(db.parent / "warc", tmp_path / "warc")
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE captures SET sha256 = ? WHERE url = 'http://www.shili.gov.cn/nb/2021.html'", ["0" * 64])
    conn.commit()
    conn.close()
    res = export("--db", copy, "--report", ids["city2021"], "--bundle", tmp_path / "b")
    assert res.exit_code == 2 and "sha256" in res.output


@pytest.mark.parametrize("args, message", [
    (["--package", "--format", "csv", "--format", "parquet"], "one format"),
    (["--report", "1"], "--bundle"),
    (["--format", "parquet"], "--package"),
])
def test_option_mistakes_are_refused(archive, tmp_path, args, message):
    db, _ = archive
    res = export("--db", db, "--out", tmp_path / "o", *args)
    assert res.exit_code == 2 and message in res.output
