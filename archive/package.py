"""Open data for analysts: a Frictionless Data Package of the archive, and a provenance bundle
per report for citation (docs/archive.md, "Open data package").

`write_package(db, out, fmt)` writes one file per resource (CSV with a UTF-8 BOM-less header of
keys, JSON Lines, or Parquet) and `datapackage.json` with a Table Schema for each: field types,
Chinese titles, Chinese and English descriptions, units (件, 万元), primary and foreign keys.

    reports       one row per report (identity, whether it is counted, where it was found)
    cells         table values of the current versions, long (one row per cell, Chinese labels)
    t2/t3/t4_wide the same values wide, as the official tables print them (field titles Chinese)
    checks        current check results
    scorecard     one row per agency and year (archive/scorecard.py)
    provenance    the capture behind each current version: URL, capture time, sha256, WARC address

Blanks stay null: a blank cell is never written as 0. `write_bundle(db, report_id, dir)` writes
one report's metadata, cells and checks as JSON beside the original bytes of its page and
attachments, read back from the WARC and checked against the sha256 recorded at capture time.
"""
from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from archive import checks as check_engine
from archive import figures, scorecard
from archive.warc import read_record, sha256
from nianbao import canon

FORMATS = ("csv", "jsonl", "parquet")
BATCH = 50_000

# Units of table 二's columns (the format prints 万元 for amounts); every other count is 件.
_T2_UNITS = {"fee_amount_wan_yuan": "万元", "procurement_amount": "万元", "items_prev_year": "项",
             "items_change": "项", "procurement_projects": "项"}


def _f(name, type_, zh, en, unit=None, title=None):
    """A Table Schema field: `title` in Chinese, `description` in Chinese and English, `unit`
    (an extra property: Table Schema has none, readers keep unknown properties)."""
    field = {"name": name, "type": type_, "title": title or zh, "description": f"{zh} / {en}"}
    if unit:
        field["unit"] = unit
        field["description"] += f"（单位：{unit}）"
    return field


REPORT_FIELDS = [
    _f("report_id", "integer", "报告编号（/-/report/<id>）", "report id"),
    _f("title", "string", "标题", "title"),
    _f("agency", "string", "报告中的机构名称", "agency as printed"),
    _f("agency_key", "string", "规范机构键（别名已合并）", "agency key, aliases followed"),
    _f("agency_display", "string", "机构（同名附地区）", "agency as a reader tells it apart"),
    _f("region", "string", "来源地区", "region of the source"),
    _f("source_id", "string", "来源栏目", "source column id"),
    _f("report_year", "integer", "报告年度", "report year"),
    _f("kind", "string", "类型（report 报告、graphic 图解、correction 更正、attachment_only）", "kind"),
    _f("edition_of", "integer", "所属主报告", "primary report of this edition"),
    _f("counted", "integer", "是否计入汇总（每个机构每年恰一份为 1）", "1 for the one counted row per agency-year"),
    _f("counted_reason", "string", "计入或不计入的原因", "why it is (not) counted"),
    _f("format", "string", "表格格式（2019、2021、legacy）", "table format"),
    _f("published", "string", "声明的发布日期（ISO 8601）", "declared publication date"),
    _f("first_seen", "string", "首次抓到（UTC）", "first captured"),
    _f("last_seen", "string", "最近抓到（UTC）", "last captured"),
    _f("gone_at", "string", "确认撤下的时间", "taken down at (on evidence)"),
    _f("url", "string", "原文地址", "URL"),
    _f("current_version_id", "integer", "当前版本（provenance.version_id）", "current version"),
]
CELL_FIELDS = [
    _f("report_id", "integer", "报告编号", "report id"),
    _f("version_id", "integer", "版本编号（provenance）", "version id"),
    _f("tbl", "string", "表（t2 主动公开、t3 依申请、t4 复议诉讼）", "table"),
    _f("table_label", "string", "表名", "table title"),
    _f("row_key", "string", "规范行键", "row key"),
    _f("row_label", "string", "行标签（官方格式）", "row label as printed"),
    _f("col_key", "string", "规范列键", "column key"),
    _f("col_label", "string", "列标签（官方格式）", "column label as printed"),
    _f("value", "number", "数值（空白或无数值为空，不记为 0）", "value; null when blank or not a number"),
    _f("raw", "string", "原文（印刷的文字）", "printed text"),
    _f("semantic", "string", "取值类型（number、empty、na、text…）", "what the cell holds"),
    _f("capture_id", "integer", "抓取编号", "capture id"),
]
CHECK_FIELDS = [
    _f("check_result_id", "integer", "校验结果编号（checks.id）", "check result id"),
    _f("report_id", "integer", "报告编号", "report id"),
    _f("version_id", "integer", "版本编号", "version id"),
    _f("check_id", "string", "校验（docs/checks.md）", "check id"),
    _f("scope", "string", "范围（列、行、表、年度对）", "scope"),
    _f("status", "string", "结果：pass 通过、fail 未通过、warn 警示、not_assessable 无法判断", "status"),
    _f("expression", "string", "规则", "rule"),
    _f("expected", "string", "应为", "expected"),
    _f("actual", "string", "实为（印刷的一侧）", "actual (printed side)"),
    _f("delta", "number", "差", "actual − expected"),
    _f("detail", "string", "说明", "detail"),
    _f("cells", "string", "涉及的单元格（JSON）", "operands as JSON"),
    _f("if_blanks_zero", "string", "空白按 0 计时的结果", "result if blanks were 0"),
    _f("check_version", "string", "校验版本", "checks version"),
]
PROVENANCE_FIELDS = [
    _f("version_id", "integer", "版本编号", "version id"),
    _f("report_id", "integer", "报告编号", "report id"),
    _f("part", "string", "部分（page 页面、attachment 附件）", "part"),
    _f("attachment_id", "integer", "附件编号", "attachment id"),
    _f("extractor_version", "string", "提取程序版本", "extractor version"),
    _f("capture_id", "integer", "抓取编号（/-/capture/<id>）", "capture id"),
    _f("url", "string", "抓取地址", "URL requested"),
    _f("final_url", "string", "最终地址（跳转后）", "final URL"),
    _f("fetched_at", "string", "抓取时间（UTC）", "capture time"),
    _f("status", "integer", "HTTP 状态", "HTTP status"),
    _f("content_type", "string", "内容类型", "content type"),
    _f("sha256", "string", "原始字节的 SHA-256", "sha256 of the bytes as received"),
    _f("size", "integer", "字节数", "size", "字节"),
    _f("warc_file", "string", "WARC 文件", "WARC file"),
    _f("warc_offset", "integer", "WARC 偏移", "WARC offset"),
    _f("warc_record_id", "string", "WARC 记录编号", "WARC record id"),
]

_SQLITE_TYPES = {"INTEGER": "integer", "REAL": "number", "TEXT": "string"}


def _scorecard_fields() -> list[dict]:
    return [_f(n, _SQLITE_TYPES[t], zh, f"{en}: {d}", u, title=zh) for n, t, zh, en, d, u in scorecard.COLUMNS]


def _wide_fields(conn, tbl: str, cols: list[str], fractional: set[tuple[str, str]]) -> list[dict]:
    labels = {k.key.replace(".", "_"): (k.key, k.label) for k in canon.COLS[tbl]}
    common = {"report_id": ("integer", "报告编号", "report id"), "version_id": ("integer", "版本编号", "version id"),
              "agency": ("string", "报告机构", "agency"), "report_year": ("integer", "报告年度", "report year"),
              "format": ("string", "表格格式", "table format"), "row_key": ("string", "规范行键", "row key"),
              "row_label": ("string", "行标签（官方格式）", "row label as printed"),
              "report_url": ("string", "原文地址", "URL")}
    out = []
    for c in cols:
        if c in labels:
            key, label = labels[c]
            unit = _T2_UNITS.get(c, "件") if tbl == "t2" else "件"
            # integer unless some stored value is fractional (an amount, or a misprinted count)
            type_ = "number" if (tbl, key) in fractional or c in _T2_UNITS and unit == "万元" else "integer"
            out.append(_f(c, type_, f"{canon.TABLE_TITLES[tbl]}：{label}", c.replace("_", " "), unit, title=label))
        else:
            type_, zh, en = common.get(c, ("string", c, c))
            out.append(_f(c, type_, zh, en))
    return out


def _resources(conn, fractional) -> list[dict]:
    """name, SQL, fields, primary key, foreign keys — in the order written."""
    cur_versions = "SELECT current_version_id FROM reports WHERE current_version_id IS NOT NULL"
    res = [
        {"name": "reports", "sql": """
            SELECT r.id AS report_id, r.title, r.agency, f.agency_key, f.agency_display, f.region,
                   r.source_id, r.report_year, r.kind, r.edition_of, f.counted, f.counted_reason,
                   r.format, r.published, r.first_seen, r.last_seen, r.gone_at, r.url,
                   r.current_version_id
            FROM reports r LEFT JOIN report_figures f ON f.report_id = r.id ORDER BY r.id""",
         "fields": REPORT_FIELDS, "primaryKey": ["report_id"], "foreignKeys": [],
         "description": "每份报告一行（报告、图解、更正各为一行）。One row per report row of the archive."},
        {"name": "provenance", "sql": f"""
            SELECT v.id AS version_id, v.report_id, v.part, v.attachment_id, v.extractor_version,
                   c.id AS capture_id, c.url, c.final_url, c.fetched_at, c.status, c.content_type,
                   c.sha256, c.size, c.warc_file, c.warc_offset, c.warc_record_id
            FROM report_versions v JOIN captures c ON c.id = v.capture_id
            WHERE v.is_current = 1 OR v.id IN ({cur_versions}) ORDER BY v.id""",
         "fields": PROVENANCE_FIELDS, "primaryKey": ["version_id"],
         "foreignKeys": [{"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}],
         "description": "每个当前版本的来源：抓取地址、时间、SHA-256 与 WARC 位置。The capture behind each current version."},
        {"name": "cells", "sql": f"""
            SELECT c.report_id, c.version_id, c.tbl, c.row_key, c.col_key, c.value,
                   c.raw, c.semantic, c.capture_id
            FROM cells c WHERE c.version_id IN ({cur_versions})
            ORDER BY c.version_id, c.tbl, c.row_key, c.col_key""",
         "fields": CELL_FIELDS, "primaryKey": ["version_id", "tbl", "row_key", "col_key"],
         "foreignKeys": [{"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}},
                         {"fields": ["version_id"], "reference": {"resource": "provenance", "fields": ["version_id"]}}],
         "description": "当前版本的表格数值，长表（每个单元格一行，附官方行列标签）。Table values, long."},
    ]
    for tbl in canon.TABLES:
        view = f"{tbl}_wide"
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{view}])")]
        at = cols.index("row_key") + 1
        cols = cols[:at] + ["row_label"] + cols[at:]
        res.append({"name": view, "sql": f"SELECT * FROM [{view}] ORDER BY report_id, row_key", "wide": tbl,
                    "fields": _wide_fields(conn, tbl, cols, fractional), "primaryKey": ["report_id", "row_key"],
                    "foreignKeys": [{"fields": ["report_id"],
                                     "reference": {"resource": "reports", "fields": ["report_id"]}}],
                    "description": f"表{'二三四'[canon.TABLES.index(tbl)]}「{canon.TABLE_TITLES[tbl]}」，宽表：每行一个"
                                   f"（报告，行），列为官方表头（字段 title）。Table {tbl} wide, as printed."})
    res += [
        {"name": "checks", "sql": """
            SELECT k.id AS check_result_id, k.report_id, k.version_id, k.check_id, k.scope, k.status,
                   k.expression, k.expected, k.actual, k.delta, k.detail, k.cells, k.if_blanks_zero,
                   k.check_version
            FROM checks k WHERE k.is_current = 1 ORDER BY k.id""",
         "fields": CHECK_FIELDS, "primaryKey": ["check_result_id"],
         "foreignKeys": [{"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}],
         "description": "当前的校验结果（docs/checks.md）。Current check results."},
        {"name": "scorecard", "sql": f"SELECT {', '.join(scorecard.NAMES)} FROM scorecard ORDER BY agency_key, report_year",
         "fields": _scorecard_fields(), "primaryKey": ["agency_key", "report_year"],
         "foreignKeys": [{"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}],
         "description": "每个机构每个年度的评分指标（1 达标、0 未达标、空 未知）。Scorecard per agency and year."},
    ]
    return res


def _fractional(conn) -> set[tuple[str, str]]:
    """(table, column key) pairs that hold a non-integral value somewhere: typed `number`."""
    return {(t, c) for t, c in conn.execute(
        "SELECT DISTINCT tbl, col_key FROM cells WHERE value IS NOT NULL AND value != CAST(value AS INTEGER)")}


def _coerce(fields: list[dict]):
    """Row converter: integers as int (SQLite may hand back 684.0), blanks as None."""
    kinds = [f["type"] for f in fields]

    def conv(row):
        out = []
        for v, k in zip(row, kinds):
            if v == "" and k != "string":
                v = None
            elif k == "integer" and isinstance(v, float) and v.is_integer():
                v = int(v)
            elif k == "string" and v is not None and not isinstance(v, str):
                v = str(v)
            out.append(v)
        return out
    return conv


def _label(fn, table: str, key: str) -> str | None:
    try:
        return fn(table, key)
    except (StopIteration, KeyError):
        return None   # a row or column the canon does not know (kept by its key)


def _rows(conn, res: dict):
    cur = conn.execute(res["sql"])
    cols = [d[0] for d in cur.description]
    labels: dict[tuple, str | None] = {}   # canon lookups are linear: once per key, not per cell
    wide = res.get("wide")
    if wide:
        at = cols.index("row_key") + 1
        for row in cur:
            key = row[at - 1]
            if key not in labels:
                labels[key] = _label(canon.row_label, wide, key)
            yield row[:at] + (labels[key],) + row[at:]
    elif res["name"] == "cells":
        titles = canon.TABLE_TITLES
        for rid, vid, tbl, rk, ck, *rest in cur:
            if (tbl, rk, ck) not in labels:
                labels[(tbl, rk, ck)] = (_label(canon.row_label, tbl, rk), _label(canon.col_label, tbl, ck))
            rl, cl = labels[(tbl, rk, ck)]
            yield (rid, vid, tbl, titles.get(tbl), rk, rl, ck, cl, *rest)
    else:
        yield from cur


def _arrow_schema(fields):
    import pyarrow as pa
    kinds = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}
    return pa.schema([pa.field(f["name"], kinds[f["type"]]) for f in fields])


def _write(conn, res: dict, path: Path, fmt: str) -> int:
    fields = res["fields"]
    names = [f["name"] for f in fields]
    conv = _coerce(fields)
    n = 0
    if fmt == "csv":
        # No BOM here: frictionless, R and DuckDB read the header as field names (Excel users have
        # `nianbao export` without --package, and the Datasette downloads, both with a BOM).
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(names)
            for row in _rows(conn, res):
                w.writerow(["" if v is None else v for v in conv(row)])
                n += 1
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            for row in _rows(conn, res):
                fh.write(json.dumps(dict(zip(names, conv(row))), ensure_ascii=False) + "\n")
                n += 1
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = _arrow_schema(fields)


        def table(batch):   # column-wise: one typed array per field
            columns = list(zip(*batch)) if batch else [()] * len(names)
            return pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(columns, schema)],
                                        schema=schema)
        with pq.ParquetWriter(path, schema) as writer:
            batch: list[list] = []
            for row in _rows(conn, res):
                batch.append(conv(row))
                if len(batch) >= BATCH:
                    writer.write_table(table(batch))
                    n += len(batch)
                    batch = []
            if batch or not n:
                writer.write_table(table(batch))
                n += len(batch)
    else:
        raise ValueError(f"unknown package format {fmt!r} ({', '.join(FORMATS)})")
    return n


def write_package(db_path: str | Path, out_dir: str | Path, fmt: str = "csv") -> Path:
    """Write the data package into `out_dir`; returns the path of datapackage.json."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown package format {fmt!r} ({', '.join(FORMATS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures.refresh(db_path)   # report_figures and scorecard up to date (what `nianbao serve` does)
    conn = sqlite3.connect(f"file:{Path(db_path)}?mode=ro", uri=True)
    try:
        resources = []
        for res in _resources(conn, _fractional(conn)):
            path = out_dir / f"{res['name']}.{fmt}"
            rows = _write(conn, res, path, fmt)
            schema = {"fields": res["fields"], "primaryKey": res["primaryKey"]}
            if res["foreignKeys"]:
                schema["foreignKeys"] = res["foreignKeys"]
            entry = {"name": res["name"], "path": path.name, "profile": "tabular-data-resource",
                     "format": fmt, "mediatype": {"csv": "text/csv", "jsonl": "application/x-ndjson",
                                                  "parquet": "application/vnd.apache.parquet"}[fmt],
                     "description": res["description"], "schema": schema, "rows": rows}
            if fmt == "csv":
                entry["encoding"] = "utf-8"
            resources.append(entry)
        (archive_rows,) = conn.execute("SELECT COUNT(*) FROM reports").fetchone()
    finally:
        conn.close()
    package = {
        "profile": "tabular-data-package",
        "name": "nianbao-archive",
        "title": "政府信息公开工作年度报告档案 / Archive of Chinese government information disclosure annual reports",
        "description": (f"{archive_rows} 份报告的表格、校验、评分与来源。空白单元格为空值，从不记为 0；汇总时只用 "
                        "reports.counted = 1 的报告（每个机构每年一份）。Tables, checks, scorecard and provenance; "
                        "blanks are null, never 0; sum only counted reports."),
        "licenses": [{"name": "other-pd", "title": "政府公开信息 / public government information"}],
        "resources": resources,
    }
    path = out_dir / "datapackage.json"
    path.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


class BundleError(Exception):
    """A report that is not there, or bytes that no longer match their sha256."""


def write_bundle(db_path: str | Path, report_id: int, out_dir: str | Path,
                 warc_dir: str | Path | None = None) -> Path:
    """One report for citation: `report.json` (metadata, cells, checks, files) and the original
    bytes of its page and attachments under `files/`, each verified against the sha256 recorded
    at capture time. A mismatch or a missing WARC record is an error: a citation bundle is whole."""
    db_path = Path(db_path)
    warc_dir = Path(warc_dir) if warc_dir else db_path.parent / "warc"
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rep = conn.execute("SELECT id, url, title, agency, agency_key, report_year, kind, format, published, "
                           "first_seen, last_seen, gone_at, edition_of, current_version_id, source_id "
                           "FROM reports WHERE id = ?", [report_id]).fetchone()
        if rep is None:
            raise BundleError(f"no report {report_id} in {db_path}")
        vid = rep["current_version_id"]
        cells = [dict(r) for r in conn.execute(
            "SELECT tbl, row_key, col_key, value, raw, semantic, locator, capture_id FROM cells "
            "WHERE version_id = ?", [vid])]   # in key order, keys numbered as first seen
        checks = [dict(r) for r in conn.execute(
            "SELECT id, check_id, scope, status, expression, expected, actual, delta, detail, cells, "
            "if_blanks_zero, check_version FROM checks WHERE report_id = ? AND is_current = 1 ORDER BY id",
            [report_id])]
        if vid is not None:   # passing within-report checks store no details (docs/checks.md#storage)
            check_engine.fill_passes(conn, vid, checks)
        # the captures of its current versions, and of every attachment (one without tables has
        # no version of its own, but its bytes are part of what the report published)
        captures = conn.execute("""
            SELECT c.id, c.url, c.final_url, c.fetched_at, c.status, c.content_type, c.sha256, c.size,
                   c.warc_file, c.warc_offset, c.warc_length, c.warc_record_id,
                   MAX(x.part) AS part, MAX(x.version_id) AS version_id
            FROM (SELECT v.capture_id, v.part, v.id AS version_id FROM report_versions v
                  WHERE v.report_id = ? AND (v.is_current = 1 OR v.id = ?)
                  UNION ALL SELECT a.capture_id, 'attachment', NULL FROM attachments a
                  WHERE a.report_id = ? AND a.capture_id IS NOT NULL) x
            JOIN captures c ON c.id = x.capture_id
            GROUP BY c.id ORDER BY part DESC, c.id""", [report_id, vid, report_id]).fetchall()
    finally:
        conn.close()
    out_dir = Path(out_dir)
    (out_dir / "files").mkdir(parents=True, exist_ok=True)
    files = []
    for cap in captures:
        if not cap["warc_file"]:
            raise BundleError(f"capture {cap['id']} has no WARC record")
        try:
            body = read_record(warc_dir, cap["warc_file"], cap["warc_offset"], cap["warc_length"]).body
        except (OSError, ValueError, EOFError) as e:   # file gone, record damaged
            raise BundleError(f"capture {cap['id']}: cannot read {cap['warc_file']}: {e}") from None
        digest = sha256(body)
        if cap["sha256"] and digest != cap["sha256"]:
            raise BundleError(f"capture {cap['id']}: bytes in {cap['warc_file']} have sha256 {digest}, "
                              f"recorded {cap['sha256']}")
        name = f"files/{cap['part']}-{cap['id']}{_suffix(cap['content_type'], cap['url'])}"
        (out_dir / name).write_bytes(body)
        files.append({"path": name, "sha256": digest, "verified": True, "bytes": len(body),
                      **{k: cap[k] for k in ("part", "version_id", "url", "final_url", "fetched_at", "status",
                                             "content_type", "warc_file", "warc_offset", "warc_record_id")},
                      "capture_id": cap["id"]})
    doc = {"report": {k: rep[k] for k in rep.keys()}, "cells": cells, "checks": checks, "files": files,
           "cite": f"{rep['agency'] or ''}《{rep['title'] or ''}》，{rep['url']}，"
                   f"存档于 {files[0]['fetched_at'] if files else rep['first_seen']}"
                   + (f"，SHA-256 {files[0]['sha256']}" if files else "")}
    path = out_dir / "report.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _suffix(content_type: str | None, url: str | None) -> str:
    ct = (content_type or "").split(";")[0].strip().lower()
    known = {"text/html": ".html", "application/pdf": ".pdf", "application/msword": ".doc",
             "application/vnd.ms-excel": ".xls", "image/png": ".png", "image/jpeg": ".jpg",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}
    if ct in known:
        return known[ct]
    tail = (url or "").rsplit("/", 1)[-1]
    return "." + tail.rsplit(".", 1)[-1][:5] if "." in tail else ".bin"
