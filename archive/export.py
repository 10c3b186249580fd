"""`nianbao export`: the wide views (and current check results) as CSV and JSON Lines.

CSV is UTF-8 with a BOM so that Excel opens Chinese text correctly; JSON Lines is one object
per row, UTF-8, non-ASCII kept. Blank cells stay empty/null, never 0. The wide views carry the
printed Chinese labels beside the keys: a `row_label` column after `row_key`, and in CSV each
value column's header is `key（标签）` (the label as the official table prints it, unit included
where it prints one), so a spreadsheet reads like the report and a script still finds the key.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from archive.schema import open_db
from nianbao import canon

VIEWS = ("report_overview", "t2_wide", "t3_wide", "t4_wide", "current_checks")
_QUERIES = {
    "current_checks": (
        "SELECT k.report_id, r.agency, r.report_year, k.check_id, k.scope, k.status, "
        "k.expression, k.expected, k.actual, k.delta, k.detail, k.if_blanks_zero, "
        "k.check_version, r.url AS report_url FROM checks k JOIN reports r ON r.id = k.report_id "
        "AND k.version_id = r.current_version_id WHERE k.is_current = 1 ORDER BY k.report_id, k.id"),
}


def _labels(view: str, cols: list[str]) -> tuple[list[str], dict[str, str]] | None:
    """(CSV headers, {column: label}) for a wide view; None for other views."""
    table = view[:-5] if view.endswith("_wide") else None
    if table not in canon.COLS:
        return None
    labels = {k.key.replace(".", "_"): k.label for k in canon.COLS[table]}
    return [f"{c}（{labels[c]}）" if c in labels else c for c in cols], labels


def _with_row_label(view: str, cols: list[str], rows):
    """Insert `row_label` after `row_key` in a wide view's rows (other views pass through)."""
    table = view[:-5] if view.endswith("_wide") else None
    if table not in canon.COLS or "row_key" not in cols:
        return cols, rows
    at = cols.index("row_key") + 1

    def label(key):
        try:
            return canon.row_label(table, key)
        except (StopIteration, KeyError):
            return None   # a row the canon does not know (kept by its key)
    return (cols[:at] + ["row_label"] + cols[at:],
            (row[:at] + (label(row[at - 1]),) + row[at:] for row in rows))


def export(db_path: str | Path, out_dir: str | Path, formats=("csv", "jsonl"),
           views=VIEWS) -> list[Path]:
    """Write every view in every format into `out_dir`; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    db = open_db(db_path)
    written: list[Path] = []
    try:
        for view in views:
            sql = _QUERIES.get(view) or f"SELECT * FROM [{view}]"
            for fmt in formats:
                cur = db.conn.execute(sql)
                cols, rows = _with_row_label(view, [d[0] for d in cur.description], cur)
                path = out_dir / f"{view}.{fmt}"
                if fmt == "csv":
                    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
                        w = csv.writer(fh)
                        labelled = _labels(view, cols)
                        w.writerow(labelled[0] if labelled else cols)
                        for row in rows:
                            w.writerow(["" if v is None else v for v in row])
                elif fmt == "jsonl":
                    with open(path, "w", encoding="utf-8") as fh:
                        for row in rows:
                            fh.write(json.dumps(dict(zip(cols, row)), ensure_ascii=False) + "\n")
                else:
                    raise ValueError(f"unknown export format {fmt!r} (csv, jsonl)")
                written.append(path)
    finally:
        db.conn.close()
    return written


def run(db_path: str | Path, out_dir: str | Path, formats=(), package: bool = False,
        report_id: int | None = None, bundle_dir: str | Path | None = None) -> list[Path]:
    """What `nianbao export` does with its options: the views (default CSV and JSON Lines), a
    Frictionless Data Package (`package`, one format, default CSV; archive/package.py), or one
    report's citation bundle (`report_id` + `bundle_dir`). ValueError for a combination that
    makes no sense (the CLI turns it into one line and exit code 2)."""
    from archive import package as pkg
    if (report_id is None) != (bundle_dir is None):
        raise ValueError("--report and --bundle go together: nianbao export --report ID --bundle DIR")
    if report_id is not None:
        if package or formats:
            raise ValueError("--bundle writes JSON and the original files; leave out --package and --format")
        return [pkg.write_bundle(db_path, report_id, bundle_dir)]
    if package:
        if len(formats) > 1:
            raise ValueError("--package writes one format: give --format once (csv, jsonl or parquet)")
        return [pkg.write_package(db_path, out_dir, formats[0] if formats else "csv")]
    if "parquet" in formats:
        raise ValueError("parquet is written as a data package: add --package")
    return export(db_path, out_dir, formats=tuple(formats) or ("csv", "jsonl"))
