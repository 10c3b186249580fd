"""A small hand-made archive for exercising the publishing layer (tests, screenshots).

Built through the real writer (`Archive.add_capture` + `Archive.store_document`), so captures,
WARC records, versions and cells are the same rows a crawl produces. The documents are invented
but internally consistent, except where a finding is planted on purpose:

- 示例市人民政府 2020: the 2019 format (其他处理 one row, 2019 table 二, a blank cell).
- 示例市人民政府 2021: table 三 column `total` breaks 勾稽关系 (T3-BAL) by 5.
- 示例市人民政府 2022: carried_over.total ≠ 2021 carried_forward.total (X-CARRY).
- 示例县教育局 2022: published 2023-05-10, after the 1月31日 deadline of a 部门.
- 示例县教育局 2021: seen twice with a changed table-三 cell (P-CHANGED).
- 恶意测试局 2022: title, cells, body and attachment name carry script-injection payloads.
"""
from __future__ import annotations

import json
from pathlib import Path

from archive.writer import Archive
from nianbao import canon

XSS_TITLE = '<script>window.__xss=1</script>恶意测试局2022年政府信息公开工作年度报告<img src=x onerror="window.__xss=2">'
XSS_CELL = '<img src=x onerror="window.__xss=3">'
XSS_AGENCY = '恶意测试局<svg onload="window.__xss=4">'
XSS_FILENAME = '"><script>window.__xss=5</script>附件.pdf'

# new_received per applicant column for a "base" agency; the other rows are derived from it.
_BASE = {"natural_person": 40, "legal_commercial": 6, "legal_research": 1,
         "legal_social_welfare": 0, "legal_law_service": 2, "legal_other": 1}


def t3_numbers(scale: int, carried: int = 2) -> dict[str, dict[str, int]]:
    """A balanced table 三 (2021 layout): every column satisfies T3-BAL and T3-SUM-RESULTS."""
    table: dict[str, dict[str, int]] = {}
    for col, n in _BASE.items():
        n = n * scale
        c = carried if col == "natural_person" else 0
        granted = n // 2
        partial = n // 10
        denied = n // 20
        not_held = n // 10
        petition = n // 25
        other = 1 if n >= 10 else 0
        processed = granted + partial + denied + not_held + petition + other
        forward = n + c - processed
        assert forward >= 0
        table.setdefault("new_received", {})[col] = n
        table.setdefault("carried_over", {})[col] = c
        table.setdefault("granted", {})[col] = granted
        table.setdefault("partially_granted", {})[col] = partial
        table.setdefault("denied.third_party", {})[col] = denied
        table.setdefault("unable.not_held", {})[col] = not_held
        table.setdefault("not_processed.petition", {})[col] = petition
        table.setdefault("other.other", {})[col] = other
        table.setdefault("total_processed", {})[col] = processed
        table.setdefault("carried_forward", {})[col] = forward
    for row in canon.T3_ROWS_2021:
        vals = table.setdefault(row, {})
        for col in _BASE:
            vals.setdefault(col, 0)
        vals["total"] = sum(vals[c] for c in _BASE)
    return table


def _cells(table: str, numbers: dict[str, dict[str, object]]) -> list[dict]:
    out = []
    for r, cols in numbers.items():
        for c, v in cols.items():
            if v is None:
                out.append({"table": table, "row": r, "col": c, "raw": "", "value": None,
                            "semantic": canon.EMPTY})
            elif isinstance(v, str):
                out.append({"table": table, "row": r, "col": c, "raw": v, "value": None,
                            "semantic": canon.NA if v in canon.NA_TOKENS else canon.TEXT})
            else:
                out.append({"table": table, "row": r, "col": c, "raw": str(v), "value": v,
                            "semantic": canon.ZERO if v == 0 else canon.NUMERIC,
                            "locator": f"html:table[{canon.TABLES.index(table) + 1}]"})
    return out


def _t2_2021(scale: int) -> dict[str, dict[str, object]]:
    return {
        "regulations": {"issued_this_year": 0, "repealed_this_year": 0, "in_force": 3},
        "normative_docs": {"issued_this_year": 2 * scale, "repealed_this_year": 1,
                           "in_force": 20 + scale},
        "admin_licensing": {"decisions": 120 * scale},
        "admin_penalty": {"decisions": 35 * scale},
        "admin_coercion": {"decisions": "/"},
        "admin_fees": {"fee_amount_wan_yuan": 12.5},
    }


def _t2_2019() -> dict[str, dict[str, object]]:
    return {
        "regulations": {"newly_made": 1, "newly_published": 1, "total_published": 9},
        "normative_docs": {"newly_made": 4, "newly_published": 4, "total_published": 57},
        "admin_licensing": {"items_prev_year": 310, "items_change": -12, "decisions": 2650},
        "other_external_services": {"items_prev_year": 45, "items_change": 3, "decisions": 120},
        "admin_penalty": {"items_prev_year": 880, "items_change": 0, "decisions": 431},
        "admin_coercion": {"items_prev_year": 52, "items_change": None, "decisions": 17},
        "admin_fees": {"items_prev_year": 14, "items_change": -2},
        "central_procurement": {"procurement_projects": 36, "procurement_amount": "1234.5万元"},
    }


def as_2019(t3: dict) -> dict:
    """Table 三 in the 2019 layout: 其他处理 is one row."""
    t3 = dict(t3)
    t3["other.total"] = t3.pop("other.other")
    for k in ("other.no_correction", "other.fee_unpaid"):
        t3.pop(k, None)
    return t3


def _t4(review: int, direct: int) -> dict[str, dict[str, int]]:
    return {
        "admin_review": {"upheld": review, "corrected": 1, "other": 0, "pending": 1,
                         "total": review + 2},
        "litigation_direct": {"upheld": direct, "corrected": 0, "other": 1, "pending": 0,
                              "total": direct + 1},
        "litigation_after_review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0,
                                    "total": 0},
    }


def _sections(agency: str, year: int, extra: str = "") -> list[dict]:
    texts = {
        "s1": f"{year}年，{agency}坚持以公开为常态、不公开为例外，深入推进政务公开。{extra}",
        "s2": "主动公开政府信息情况见下表。",
        "s3": "收到和处理政府信息公开申请情况见下表。",
        "s4": f"{year}年发生政府信息公开行政复议案件，行政诉讼案件，复议和诉讼结果见下表。",
        "s5": "存在的主要问题：公开内容的及时性有待提高。改进情况：加强培训。",
        "s6": "本年度未收取信息处理费。",
    }
    return [{"key": s.key, "title": s.label, "text": texts[s.key]} for s in canon.SECTIONS]


def _doc(agency: str, year: int, published: str, t3: dict, title: str | None = None,
         t2: dict | None = None, t4: dict | None = None, section_extra: str = "",
         fmt: str = canon.FORMAT_2021) -> dict:
    t2 = t2 if t2 is not None else _t2_2021(1)
    t4 = t4 if t4 is not None else _t4(2, 1)
    cells = _cells("t2", t2) + _cells("t3", t3) + _cells("t4", t4)
    sections = _sections(agency, year, section_extra)
    return {
        "title": title or f"{agency}{year}年政府信息公开工作年度报告",
        "agency": agency, "report_year": year, "published": published, "format": fmt,
        "doc_type": "html", "extractor_version": "sample-1",
        "tables": {t: {} for t in canon.TABLES}, "cells": cells, "sections": sections,
        "body_text": "\n".join(f"{s['title']}\n{s['text']}" for s in sections),
    }


def _page(doc: dict) -> bytes:
    # The kept bytes contain a live script on purpose: the raw route must never execute it.
    return (f"<html><head><meta charset='utf-8'><title>{doc['title']}</title>"
            f"<script>window.__raw_executed=1</script></head><body>"
            f"<h1>{doc['title']}</h1><p>{doc['body_text']}</p></body></html>").encode("utf-8")


def _store(arch: Archive, run: int, source: str, url: str, doc: dict, when: str,
           attachments: list[tuple[str, str, bytes]] = ()) -> int:
    cap = arch.add_capture(run_id=run, source_id=source, url=url, status=200,
                           headers=[("Content-Type", "text/html; charset=utf-8")],
                           body=_page(doc), role="detail", fetched_at=when)
    rid, _, _ = arch.store_document(capture_id=cap.id, source_id=source, url=url, doc=doc,
                                    seen_at=when)
    for att_url, name, data in attachments:
        acap = arch.add_capture(run_id=run, source_id=source, url=att_url, status=200,
                                headers=[("Content-Type", "application/pdf")], body=data,
                                role="attachment", fetched_at=when)
        arch.store_attachment(report_url=url, capture_id=acap.id, url=att_url, filename=name,
                              doc={"body_text": "附件正文", "doc_type": "pdf"})
    return rid


def _ensure_balance_checks(arch: Archive) -> None:
    """If the checks engine is not installed yet, record T3-BAL results ourselves so the
    publishing layer has real failing checks to show (same columns the engine writes)."""
    db = arch.db
    if db.execute("SELECT COUNT(*) FROM checks WHERE check_id = 'T3-BAL'").fetchone()[0]:
        return
    rows = db.execute("SELECT report_id, version_id, col_key, row_key, value FROM cells "
                      "WHERE tbl = 't3' AND row_key IN ('new_received', 'carried_over', "
                      "'total_processed', 'carried_forward')").fetchall()
    grid: dict[tuple[int, int, str], dict[str, float]] = {}
    for rid, vid, col, row, val in rows:
        grid.setdefault((rid, vid, col), {})[row] = val
    with arch.transaction() as tx:
        for (rid, vid, col), v in sorted(grid.items()):
            left = (v.get("new_received") or 0) + (v.get("carried_over") or 0)
            right = (v.get("total_processed") or 0) + (v.get("carried_forward") or 0)
            involved = [{"table": "t3", "row": r, "col": col} for r in
                        ("new_received", "carried_over", "total_processed", "carried_forward")]
            row = {
                "report_id": rid, "version_id": vid, "check_id": "T3-BAL", "check_version": "sample",
                "scope": col, "status": "pass" if left == right else "fail",
                "expression": "new_received + carried_over = total_processed + carried_forward",
                "expected": str(left), "actual": str(right), "delta": right - left,
                "detail": canon.T3_BALANCE_NOTE, "cells": json.dumps(involved),
                "is_current": 1 if db.execute(
                    "SELECT is_current FROM report_versions WHERE id = ?", [vid]).fetchone()[0] else 0,
            }
            # `checks` is a view that takes inserts (archive/schema.py, migration 19)
            tx.execute(f"INSERT INTO checks ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))


def build(db_path: str | Path, warc_dir: str | Path | None = None) -> dict[str, int]:
    """Write the sample archive at `db_path`; returns report ids by a short name."""
    arch = Archive(db_path, warc_dir)
    arch.sync_sources([
        {"id": "shili-shi", "name": "示例市人民政府门户网站", "url": "http://www.shili.gov.cn/nb/",
         "platform": "hanweb", "render": "static", "region": "示例省示例市", "level": "市级",
         "verified": True},
        {"id": "shili-jyj", "name": "示例县教育局", "url": "http://jyj.shili.gov.cn/nb/",
         "platform": "trs", "render": "static", "region": "示例省示例县", "level": "县级"},
        {"id": "evil", "name": "恶意测试局", "url": "http://evil.example.gov.cn/",
         "platform": "generic", "render": "static", "region": "测试省", "level": "省级"},
    ])
    run = arch.start_run(["shili-shi", "shili-jyj", "evil"])
    ids: dict[str, int] = {}
    city = "示例市人民政府"
    t3_2020 = t3_numbers(3)
    ids["city2020"] = _store(arch, run, "shili-shi", "http://www.shili.gov.cn/nb/2020.html",
                             _doc(city, 2020, "2021-03-20", as_2019(t3_2020), t2=_t2_2019(),
                                  section_extra="全年受理行政复议申请2件。", fmt=canon.FORMAT_2019),
                             "2021-03-21T02:00:00.000Z")
    t3_2021 = t3_numbers(4, carried=t3_2020["carried_forward"]["natural_person"])
    t3_2021["total_processed"]["total"] += 5          # planted T3-BAL failure in column 总计
    ids["city2021"] = _store(
        arch, run, "shili-shi", "http://www.shili.gov.cn/nb/2021.html",
        _doc(city, 2021, "2022-03-15", t3_2021, t4=_t4(3, 2)), "2022-03-16T02:00:00.000Z",
        attachments=[("http://www.shili.gov.cn/nb/2021.pdf", "2021年报.pdf",
                      b"%PDF-1.4\n% sample\n")])
    t3_2022 = t3_numbers(5, carried=7)                # 7 ≠ 2021 carried_forward: X-CARRY
    ids["city2022"] = _store(arch, run, "shili-shi", "http://www.shili.gov.cn/nb/2022.html",
                             _doc(city, 2022, "2023-03-10", t3_2022, t4=_t4(4, 1)),
                             "2023-03-11T02:00:00.000Z")
    edu = "示例县教育局"
    ids["edu2021"] = _store(arch, run, "shili-jyj", "http://jyj.shili.gov.cn/nb/2021.html",
                            _doc(edu, 2021, "2022-01-20", t3_numbers(1)), "2022-01-21T02:00:00.000Z")
    changed = t3_numbers(1)
    changed["granted"]["natural_person"] += 1
    changed["total_processed"]["natural_person"] += 1
    changed["carried_forward"]["natural_person"] -= 1
    for row in ("granted", "total_processed", "carried_forward"):
        changed[row]["total"] = sum(changed[row][c] for c in _BASE)
    _store(arch, run, "shili-jyj", "http://jyj.shili.gov.cn/nb/2021.html",
           _doc(edu, 2021, "2022-01-20", changed, section_extra="（2022年6月更正）"),
           "2022-06-30T02:00:00.000Z")
    ids["edu2022"] = _store(arch, run, "shili-jyj", "http://jyj.shili.gov.cn/nb/2022.html",
                            _doc(edu, 2022, "2023-05-10", t3_numbers(2)), "2023-05-11T02:00:00.000Z")
    evil_t3 = t3_numbers(1)
    evil_t3["denied.state_secret"]["legal_other"] = XSS_CELL
    ids["evil"] = _store(
        arch, run, "evil", "http://evil.example.gov.cn/nb/2022.html",
        _doc(XSS_AGENCY, 2022, "2023-01-15", evil_t3, title=XSS_TITLE,
             section_extra='<script>window.__xss=6</script><img src=x onerror="window.__xss=7">'),
        "2023-01-16T02:00:00.000Z",
        attachments=[("http://evil.example.gov.cn/nb/a.pdf", XSS_FILENAME, b"%PDF-1.4\n%x\n")])
    arch.finish_run(run, "finished", "finished", {"reports": len(ids)})
    arch.drain_derived()   # checks and search segments of what was stored (archive/derive.py)
    _ensure_balance_checks(arch)
    arch.close()
    from archive import figures
    figures.refresh(db_path)   # like the end of a crawl: report_figures for the canned queries
    return ids


if __name__ == "__main__":
    import sys
    print(build(sys.argv[1]))
