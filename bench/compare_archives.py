"""Compare two archives table by table, by content: the rows a user sees, not how they were made.

    python bench/compare_archives.py OLD.db NEW.db [--samples 3]

Ids, timestamps and capture ids differ between two crawls of the same portals; they are
dropped, and foreign keys are mapped to natural keys: a report is its URL, a version is
(report URL, capture URL, part, attachment URL, extractor version). The farm listens on a random
port, so `host:port` is reduced to `host` in every string. The version `document` JSON loses
its "seen" key (what the crawler saw, kept since the identity rule moved to nianbao.identity).
Check rows are compared for the current results (`checks`) and, for information, all results
including superseded ones (`checks_all`: how many intermediate results a run wrote).

Exit status 0 when every compared table is equal (checks_all excepted).
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from archive import versiondoc  # noqa: E402

_PORT = re.compile(r"(//[^/\s:\"'<>]+):\d+")
# Ids inside check details: "version 12 vs 15", "version 3 (seen …) → 9 (seen …)", "report 3".
_VERSION_IDS = re.compile(r"\b(version |vs |→ )(\d+)")
_REPORT_IDS = re.compile(r"(\breport |更正 |报告 |\breport:)(\d+)")
# Ids in a check's scope ("attachment 4": P-CHANGED per attachment) and in report_figures'
# counted_reason ("superseded by 更正 75"): order of arrival, not content.
_ATTACHMENT_IDS = re.compile(r"\b(attachment )(\d+)")
TIMESTAMPS = {"first_seen", "last_seen", "seen_at", "fetched_at", "queued_at", "gone_at",
              "built_at", "applied_at", "started_at", "finished_at"}


def _norm(v):
    if isinstance(v, str):
        return _PORT.sub(r"\1", v)
    return v


def _keys(conn) -> tuple[dict, dict, dict]:
    reports = {rid: _norm(url) for rid, url in conn.execute("SELECT id, url FROM reports")}
    captures = {cid: _norm(url) for cid, url in conn.execute("SELECT id, url FROM captures")}
    atts = {aid: _norm(url) for aid, url in conn.execute("SELECT id, url FROM attachments")}
    versions = {vid: (reports.get(rid), captures.get(cid), part, atts.get(aid), ev)
                for vid, rid, cid, part, aid, ev in conn.execute(
                    "SELECT id, report_id, capture_id, part, attachment_id, extractor_version "
                    "FROM report_versions")}
    return reports, captures, versions


def _document(text):
    if not text:
        return text
    doc = versiondoc.load(text)   # sections stored as offsets or with their text: the same document
    doc.pop("seen", None)
    return _norm(json.dumps(doc, ensure_ascii=False, sort_keys=True))


def _rows(conn, table: str, where: str = "") -> list[tuple]:
    reports, captures, versions = _keys(conn)
    atts = {aid: _norm(url) for aid, url in conn.execute("SELECT id, url FROM attachments")}
    mapping = {
        "report_id": reports, "edition_of": reports, "prev_report_id": reports,
        "version_id": versions, "current_version_id": versions,
        "capture_id": captures, "attachment_id": atts,
    }
    cur = conn.execute(f"SELECT * FROM [{table}] {where}")
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur:
        rec = []
        for c, v in zip(cols, row):
            if c in ("id", "row_id", "col_id") or c in TIMESTAMPS:   # numbered in each file's own order
                continue
            if table == "report_versions" and c == "sha256":
                continue   # the capture's bytes: the farm's pages carry its random port
            if c in mapping:
                v = mapping[c].get(v, v) if v is not None else None
            elif c == "document":
                v = _document(v)
            elif (c in ("detail", "counted_reason", "scope") or (table == "checks" and c == "cells")) \
                    and isinstance(v, str):
                v = _VERSION_IDS.sub(lambda m: m[1] + str(versions.get(int(m[2]), m[2])), v)
                v = _REPORT_IDS.sub(lambda m: m[1] + str(reports.get(int(m[2]), m[2])), v)
                v = _ATTACHMENT_IDS.sub(lambda m: m[1] + str(atts.get(int(m[2]), m[2])), v)
            rec.append((c, json.dumps(_norm(v), ensure_ascii=False, default=str)
                        if isinstance(v, tuple) else _norm(v)))
        out.append(tuple(rec))
    return out


TABLES = [
    ("reports", "reports", ""),
    ("report_urls", "report_urls", ""),
    ("report_versions", "report_versions", ""),
    ("cells", "cells", ""),
    ("checks", "checks", "WHERE is_current = 1"),
    ("checks_all", "checks", ""),
    ("attachments", "attachments", ""),
    ("report_figures", "report_figures", ""),
]


def compare(old_path: str, new_path: str, samples: int = 3) -> dict:
    old = sqlite3.connect(f"file:{old_path}?mode=ro", uri=True)
    new = sqlite3.connect(f"file:{new_path}?mode=ro", uri=True)
    result = {}
    for name, table, where in TABLES:
        a, b = Counter(_rows(old, table, where)), Counter(_rows(new, table, where))
        only_old, only_new = a - b, b - a
        result[name] = {
            "old": sum(a.values()), "new": sum(b.values()), "equal": sum((a & b).values()),
            "only_in_old": sum(only_old.values()), "only_in_new": sum(only_new.values()),
            "samples_old": [dict(r) for r in list(only_old)[:samples]],
            "samples_new": [dict(r) for r in list(only_new)[:samples]],
        }
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--samples", type=int, default=3)
    args = ap.parse_args(argv)
    res = compare(args.old, args.new, args.samples)
    print(f"{'table':<16}{'old':>8}{'new':>8}{'equal':>8}{'only-old':>10}{'only-new':>10}")
    for name, r in res.items():
        print(f"{name:<16}{r['old']:>8}{r['new']:>8}{r['equal']:>8}{r['only_in_old']:>10}"
              f"{r['only_in_new']:>10}")
    for name, r in res.items():
        for side in ("old", "new"):
            for s in r[f"samples_{side}"]:
                short = {k: (v[:160] + "…" if isinstance(v, str) and len(v) > 160 else v)
                         for k, v in s.items()}
                print(f"\n{name} only in {side}: {json.dumps(short, ensure_ascii=False)}")
    differ = [n for n, r in res.items() if n != "checks_all" and (r["only_in_old"] or r["only_in_new"])]
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
