"""`/-/report/<id>`: one report as a reader knows it, with its checks and provenance."""
from __future__ import annotations

import difflib
import itertools
import json
import re

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import checks as checks_engine  # `checks` is the page's list of result rows
from archive import editions, versiondoc
from archive.datasette import layout
from archive.datasette.capture import parse_id
from archive.datasette.common import archive_database, rows, within_budget
from archive.datasette.explain import NAMES, STATUS, explain
from nianbao import canon


def involved_cells(check: dict, year: int | None = None) -> list[tuple[str, str, str]]:
    """(tbl, row, col) of this report that the check is about, from its `cells` JSON (a list
    of cell dicts, or a mapping "t3/row/col" → raw, "2021:t3/row/col" for cross-year checks),
    else from the check id and scope."""
    out = []
    try:
        listed = json.loads(check.get("cells") or "[]")
    except ValueError:
        listed = []
    if isinstance(listed, dict):
        keys = []
        for k in listed:
            prefix, _, ref = k.rpartition(":")
            if prefix and year is not None and prefix != str(year):
                continue  # a cell of the other year's report
            keys.append(ref)
        listed = keys
    for c in listed if isinstance(listed, list) else []:
        if isinstance(c, dict):
            t = c.get("table") or c.get("tbl")
            r = c.get("row") or c.get("row_key")
            k = c.get("col") or c.get("col_key")
        elif isinstance(c, (list, tuple)) and len(c) == 3:
            t, r, k = c
        elif isinstance(c, str) and c.count("/") == 2:
            t, r, k = c.split("/")
        else:
            continue
        if t and r and k:
            out.append((t, r, k))
    if out:
        return out
    # Result rows that do not list their operands: the checks engine's own definition.
    return checks_engine.involved_cells(check.get("check_id") or "", check.get("scope"))


def _sections(document: dict) -> list[dict]:
    """Body text by section from the version's document JSON (list or mapping)."""
    secs = document.get("sections") or []
    labels = {s.key: s.label for s in canon.SECTIONS}
    if isinstance(secs, dict):
        secs = [{"key": k, "text": v} for k, v in secs.items()]
    out = []
    for s in secs:
        if isinstance(s, str):
            out.append({"title": "", "text": s})
            continue
        if not isinstance(s, dict):
            continue
        key = s.get("key") or s.get("id")
        text = s.get("text") or s.get("body") or s.get("content") or ""
        title = s.get("title") or s.get("heading") or labels.get(key, key or "")
        out.append({"key": key, "title": title, "text": text})
    return out


def _cell_text(c: dict | None) -> str:
    if c is None:
        return "（无）"
    if c.get("raw") not in (None, ""):
        return str(c["raw"])
    return "（空白）" if c.get("value") is None else str(c["value"])


# Bounds of the text diff (a long body edited once took 45 s with ndiff over whole sections).
DIFF_MAX_UNITS = 2000     # sentences compared per section, after the common head and tail
DIFF_MAX_LINES = 120      # changed sentences shown per section
DIFF_MAX_LINE_CHARS = 400
_SENTENCE_END = re.compile(r"(?<=[。！？；!?\n])")


def _units(text: str) -> list[str]:
    return [u.strip() for u in _SENTENCE_END.split(text or "") if u.strip()]


def text_diff(a: str, b: str) -> tuple[list[str], bool]:
    """Changed sentences of `a` → `b` as "- …"/"+ …" lines, and whether the diff was cut.
    Sentence-level (not character-level), after trimming the common head and tail, with at
    most DIFF_MAX_UNITS sentences a side: linear in the text plus a bounded SequenceMatcher."""
    if a == b:
        return [], False
    ua, ub = _units(a), _units(b)
    head = 0
    while head < min(len(ua), len(ub)) and ua[head] == ub[head]:
        head += 1
    tail = 0
    while tail < min(len(ua), len(ub)) - head and ua[-1 - tail] == ub[-1 - tail]:
        tail += 1
    ua, ub = ua[head:len(ua) - tail], ub[head:len(ub) - tail]
    cut = len(ua) > DIFF_MAX_UNITS or len(ub) > DIFF_MAX_UNITS
    ua, ub = ua[:DIFF_MAX_UNITS], ub[:DIFF_MAX_UNITS]
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(None, ua, ub, autojunk=True)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        # A replaced block is shown sentence by sentence (before, after), so that a cut
        # block still pairs each old sentence with its new one.
        for old, new in itertools.zip_longest(ua[i1:i2], ub[j1:j2]) if tag != "equal" else ():
            lines += (["- " + old] if old is not None else []) + (["+ " + new] if new is not None else [])
        if len(lines) > DIFF_MAX_LINES:
            cut = True
            break
    short = [ln if len(ln) <= DIFF_MAX_LINE_CHARS else ln[:DIFF_MAX_LINE_CHARS] + "…"
             for ln in lines[:DIFF_MAX_LINES]]
    return short, cut or len(short) < len(lines) or any(len(ln) > DIFF_MAX_LINE_CHARS
                                                      for ln in lines[:DIFF_MAX_LINES])


def version_diffs(versions: list[dict], cells_by_version: dict[int, dict],
                  docs: dict[int, dict]) -> list[dict]:
    """What changed from each version to the next: cells and section text."""
    diffs = []
    for prev, cur in zip(versions, versions[1:]):
        a, b = cells_by_version.get(prev["id"], {}), cells_by_version.get(cur["id"], {})
        changed = []
        for key in sorted(set(a) | set(b)):
            ta, tb = _cell_text(a.get(key)), _cell_text(b.get(key))
            if ta != tb:
                tbl, row, col = key
                try:
                    label = f"{canon.row_label(tbl, row)} / {canon.col_label(tbl, col)}"
                except StopIteration:
                    label = f"{row} / {col}"
                changed.append({"tbl": tbl, "label": label, "before": ta, "after": tb})
        text_changes = []
        sa = {s.get("title"): s["text"] for s in _sections(docs.get(prev["id"], {}))}
        sb = {s.get("title"): s["text"] for s in _sections(docs.get(cur["id"], {}))}
        for title in [t for t in sb if sa.get(t) != sb[t]] + [t for t in sa if t not in sb]:
            lines, cut = text_diff(sa.get(title) or "", sb.get(title) or "")
            text_changes.append({"title": title, "lines": lines, "cut": cut})
        diffs.append({"from": prev, "to": cur, "cells": changed, "sections": text_changes,
                      "title_before": docs.get(prev["id"], {}).get("title"),
                      "title_after": docs.get(cur["id"], {}).get("title")})
    return diffs


def _documents(versions: list[dict]) -> dict[int, dict]:
    docs = {}
    for v in versions:
        docs[v["id"]] = versiondoc.load(v["document"])
    return docs


def _history(versions: list[dict], cells_by_version: dict[int, dict]) -> list[dict]:
    return version_diffs(versions, cells_by_version, _documents(versions))


async def neighbours(db, report: dict) -> dict:
    """The counted reports of the same agency (report_figures.agency_key, aliases followed)
    for the year before and after, and the agency key for the agency page link."""
    try:
        me = await rows(db, "SELECT agency_key, agency_display, report_year FROM report_figures "
                            "WHERE report_id = ?", [report["id"]])
    except Exception:   # an archive without report_figures (not prepared by a crawl)
        return {}
    if not me or not me[0]["agency_key"]:
        return {}
    me = me[0]
    out = {"agency_key": me["agency_key"], "agency_display": me["agency_display"]}
    if me["report_year"] is not None:
        for name, year in (("prev", me["report_year"] - 1), ("next", me["report_year"] + 1)):
            found = await rows(db, "SELECT report_id, report_year FROM report_figures "
                                   "WHERE agency_key = ? AND report_year = ? "
                                   "ORDER BY counted DESC, report_id LIMIT 1",
                               [me["agency_key"], year])
            out[name] = found[0] if found else None
    return out


async def counting(db, report: dict) -> dict | None:
    """Whether this report is the counted one of its agency-year, why, and which one is
    (archive/editions.py). Read from report_figures; computed when it is missing or older."""
    try:
        mine = await rows(db, "SELECT counted, counted_reason, agency_key, report_year "
                              "FROM report_figures WHERE report_id = ?", [report["id"]])
    except Exception:   # no report_figures, or one built before `counted` existed
        mine = []
    if mine:
        me = mine[0]
        other = await rows(db, "SELECT report_id FROM report_figures WHERE counted = 1 AND "
                               "agency_key = ? AND report_year = ? AND report_id != ?",
                           [me["agency_key"], me["report_year"], report["id"]])
        return {"counted": me["counted"], "reason": me["counted_reason"],
                "other": other[0]["report_id"] if other else None}
    rule = await db.execute_fn(editions.counted_rows)
    me = rule.get(report["id"])
    if me is None:
        return None
    other = next((rid for rid, c in rule.items()
                  if c.counted and rid != report["id"] and c.group == me.group), None)
    return {"counted": me.counted, "reason": me.reason, "other": other}


def counting_line(datasette, info: dict | None) -> Markup:
    """One line under the facts: counted or not, and why (every value escaped)."""
    if not info:
        return Markup("")
    if info["counted"]:
        text = escape(f"统计口径 Counting：本份计入汇总（{info['reason']}）")
    else:
        text = escape(f"统计口径 Counting：本份不计入汇总（{info['reason']}）")
        if info.get("other"):
            href = datasette.urls.path(f"/-/report/{int(info['other'])}")
            text += Markup('，计入的是 <a href="{}">报告 {}</a>').format(href, int(info["other"]))
    return Markup('<p class="counted">{}</p>\n').format(text)


def annotate_stated(tables: dict, checks: list[dict]) -> None:
    """Put beside each table cell what the report's text says of it (S-TEXT-TABLE): the phrase and
    the verdict, as `cell.stated` (the template shows a 文 mark with it as the tooltip)."""
    said: dict[tuple[str, str, str], list[str]] = {}
    for ch in checks:
        if ch.get("check_id") != "S-TEXT-TABLE" or ch.get("status") not in ("pass", "fail", "warn"):
            continue
        text = (ch.get("detail") or "").split("。原句：")[0]
        for key in ch.get("involved") or ():
            said.setdefault(tuple(key), []).append(f"{ch.get('status_zh') or ch['status']}：{text}")

    def mark(cell, key) -> None:
        if key in said:
            cell.stated = "；".join(said[key])
    t3 = tables.get("t3")
    for row in (t3 or {}).get("rows", []):
        for cell, col in zip(row.get("cells") or (), canon.T3_COLS):
            mark(cell, ("t3", row.get("key"), col.key))
    t4 = tables.get("t4")
    for cell, (r, c) in zip((t4 or {}).get("cells") or (), canon.T4_ORDER):
        mark(cell, ("t4", r, c))
    labels = {k.label: k.key for k in canon.T2_ROWS}
    for block in tables.get("t2") or ():
        for row in block["rows"]:
            for cell, col in zip(row["cells"], block["col_keys"]):
                mark(cell, ("t2", labels.get(row["label"]), col))


async def report_page(datasette, request):
    db = await archive_database(datasette, request)
    report_id = parse_id(request.url_vars["id"])
    if report_id is None:
        raise NotFound("报告编号无效")
    found = await rows(db, "SELECT r.*, s.name AS source_name, s.region, s.level "
                           "FROM reports r LEFT JOIN sources s ON s.id = r.source_id "
                           "WHERE r.id = ?", [report_id])
    if not found:
        raise NotFound(f"没有编号为 {report_id} 的报告")
    report = found[0]
    versions = await rows(db, "SELECT v.*, c.url AS capture_url, c.final_url, c.fetched_at, "
                              "c.status AS http_status, c.content_type, c.size, c.warc_file, "
                              "c.warc_offset, c.run_id, d.document AS full_document "
                              "FROM report_versions v JOIN captures c ON c.id = v.capture_id "
                              "JOIN version_documents d ON d.id = v.id WHERE v.report_id = ? "
                              "ORDER BY v.seen_at, v.id", [report_id])
    for v in versions:   # a version that lends its body to the report gets it back (docs/archive.md)
        v["document"] = v.pop("full_document")
    current = next((v for v in versions if v["id"] == report["current_version_id"]),
                   versions[-1] if versions else None)
    vid = current["id"] if current else -1
    cell_rows = await rows(db, "SELECT * FROM cells WHERE report_id = ?", [report_id])
    checks = await rows(db, "SELECT * FROM checks WHERE report_id = ? AND "
                            "(version_id = ? OR version_id IS NULL) AND is_current = 1 "
                            "ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 "
                            "WHEN 'not_assessable' THEN 2 ELSE 3 END, check_id, scope",
                       [report_id, vid])
    if current:   # a passing within-report check stores no details: recomputed (docs/checks.md#storage)
        await db.execute_fn(lambda conn: checks_engine.fill_passes(conn, vid, checks))
    present = checks_engine.present_cells(c for c in cell_rows if c["version_id"] == vid)
    failing: dict[tuple[str, str, str], set[str]] = {}
    for ch in checks:
        checks_engine.fill_operands(ch, present)   # a passing sum stores none (docs/checks.md#storage)
        ch["involved"] = involved_cells(ch, report["report_year"])
        ch["explain"] = explain(ch)
        ch["name"] = NAMES.get(ch["check_id"], "")
        ch["status_zh"] = STATUS.get(ch["status"], ch["status"])
        if ch["status"] == "fail":
            for key in ch["involved"]:
                failing.setdefault(key, set()).add(ch["check_id"])
    by_version: dict[int, dict] = {}
    for c in cell_rows:
        by_version.setdefault(c["version_id"], {})[(c["tbl"], c["row_key"], c["col_key"])] = c
    current_cells = [c for c in cell_rows if c["version_id"] == vid]
    docs = _documents([current] if current else [])
    # The version history is the heavy part (text diffs): bounded, and given up after the
    # page budget rather than blocking Datasette (common.within_budget).
    diffs, too_large = await within_budget(datasette, _history, versions, by_version)
    attachments = await rows(db, "SELECT a.*, c.fetched_at FROM attachments a LEFT JOIN "
                                 "captures c ON c.id = a.capture_id WHERE a.report_id = ? "
                                 "ORDER BY a.id", [report_id])
    # Two indexed lookups (an OR here would scan every report).
    editions = await rows(db, "SELECT id, url, title, kind FROM reports WHERE edition_of = ? "
                              "AND id != ? UNION SELECT id, url, title, kind FROM reports "
                              "WHERE id = ?", [report_id, report_id, report["edition_of"] or -1])
    counts = {s: sum(1 for c in checks if c["status"] == s)
              for s in ("fail", "warn", "not_assessable", "pass")}
    tables = layout.build_tables(report["format"] or (current or {}).get("format"), current_cells, failing)
    annotate_stated(tables, checks)
    context = {
        "database": db.name,
        "report": report,
        "current": current,
        "tables": tables,
        "tables_have_ocr": any(c.get("source") == "ocr" for c in current_cells),
        "checks": checks,
        "check_counts": counts,
        "open_passed": request.args.get("checks") == "open",
        "sections": _sections(docs.get(vid, {})),
        "attachments": attachments,
        "versions": versions,
        "diffs": diffs or [],
        "diffs_too_large": too_large,
        "editions": editions,
        "neighbours": await neighbours(db, report),
    }
    html = await datasette.render_template(
        "nianbao_report.html", context, request=request, view_name="nianbao_report")
    # The counting line goes right above the link to the original (the template has no slot
    # for it; see docs/archive.md, Counting).
    line = counting_line(datasette, await counting(db, report))
    # str(): Markup + str would escape the tag itself.
    html = html.replace('<p class="original">', str(line) + '<p class="original">', 1)
    return Response.html(html)


async def check_link(datasette, request):
    """`/-/check/<id>`: one check result where it is explained, on its report's page: the row
    `#check-<id>`, the passed checks opened (a pass's numbers are recomputed there, not stored:
    docs/checks.md#storage). A result that is not on that page (not current, or of another
    version) opens in the `checks` view."""
    check_id = parse_id(request.url_vars["id"])
    if check_id is None:
        raise NotFound("校验编号无效")
    db = await archive_database(datasette, request)
    found = await rows(db, "SELECT k.report_id, k.is_current = 1 AND (k.version_id IS NULL OR "
                           "k.version_id = r.current_version_id) AS shown FROM checks k "
                           "JOIN reports r ON r.id = k.report_id WHERE k.id = ?", [check_id])
    if not found:
        raise NotFound(f"没有编号为 {check_id} 的校验结果")
    if found[0]["shown"]:
        return Response.redirect(datasette.urls.path(f"/-/report/{found[0]['report_id']}")
                                 + f"?checks=open#check-{check_id}")
    return Response.redirect(datasette.urls.table(db.name, "checks") + f"?id={check_id}")
