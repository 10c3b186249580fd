"""`scorecard`: one row per agency and report year with the indicators evaluators score, each
with the evidence it rests on (docs/archive.md, "Scorecard").

Derived like `report_figures` and rebuilt with it (archive/figures.py calls `rebuild` in the same
transaction), because the indicators aggregate millions of `checks` rows: a view would scan them
on every page view, the table answers a region's ranking from an index. Never edited by hand.

Whose figures: the agency-year's **counted** row (archive/editions.py `counted_rows`) gives the
table indicators and figures. Timeliness, sections, narrative and copying are about the report
itself, so they are read from the report the counted row stands for: the counted row, or, when a
更正 is counted, the report it supersedes. An agency-year without a counted row (only a 图解, a
更正 without tables) still has a row: its report is its first stored row.

Indicators are 1 (met), 0 (not met) or NULL (unknown: the check did not run or could not judge).
NULL is never counted as met or as failed: `score` is the share of KNOWN indicators met.
"""
from __future__ import annotations

import sqlite3

VERSION = "2"   # bump when the table or its rules change: the figures fingerprint includes it

# Check ids read from the results table. S-TEXT-TABLE and X-COPY-OTHER come from issue 17's
# text checks: until a report has results for them, their indicators stay NULL.
TABLE_CHECKS = ("T3-BAL", "T3-SUM-RESULTS", "T3-SUM-COLS", "T4-SUM", "T2-DOMAIN", "T3-DOMAIN", "T4-DOMAIN")
ONE_RESULT = {"deadline": "P-DEADLINE", "sections": "S-SECTIONS", "tables": "S-TABLES", "copy": "X-COPY"}
MANY_RESULTS = {"text": "S-TEXT-TABLE", "copy_other": "X-COPY-OTHER", "changed": "P-CHANGED",
                "table": TABLE_CHECKS}

# (name, SQL type, 中文, English, description, unit). One list for the table, the Datasette pages,
# the CSV download and the data package schema (archive/package.py).
COLUMNS: list[tuple[str, str, str, str, str, str | None]] = [
    ("agency_key", "TEXT", "机构键", "agency key",
     "规范机构名（地区/机构），别名已合并 / region-qualified agency key, aliases followed", None),
    ("report_year", "INTEGER", "报告年度", "report year", "年报所属年度 / the year the report covers", None),
    ("agency_display", "TEXT", "机构", "agency", "机构名称（同名机构附地区） / agency name as a reader tells it apart", None),
    ("region", "TEXT", "地区", "region", "来源栏目的地区 / region of the source column", None),
    ("agency_level", "TEXT", "机构层级", "agency level", "government / department / township / zone", None),
    ("report_id", "INTEGER", "计入汇总的报告", "counted report",
     "计入汇总的那一份（/-/report/<id>），无则为该年第一份 / the counted row, else the first stored", None),
    ("judged_report_id", "INTEGER", "评价的报告", "judged report",
     "评价时效、结构、文字的报告：计入的报告，或被更正取代的原报告 / the report judged for timeliness, structure and text", None),
    ("title", "TEXT", "标题", "title", "评价的报告的标题 / title of the judged report", None),
    ("url", "TEXT", "原文地址", "URL", "评价的报告的原文地址 / URL of the judged report", None),
    ("published", "TEXT", "发布日期", "published", "报告声明的发布日期 / date the report declares", None),
    ("deadline", "TEXT", "法定期限", "deadline", "条例第四十九条的期限 / the Article 49 deadline", None),
    ("on_time_declared", "INTEGER", "按时发布（声明日期）", "on time (declared)",
     "P-DEADLINE：通过=1，逾期=0，无法判断=空 / P-DEADLINE pass=1, late=0, unknown=NULL", None),
    ("days_late", "INTEGER", "逾期天数", "days late", "声明日期晚于期限的天数 / days after the deadline", "天"),
    ("deadline_check", "INTEGER", "时效校验", "deadline check", "P-DEADLINE 结果（checks.id） / evidence", None),
    ("on_time_observed", "INTEGER", "按时发布（本档案观察）", "on time (observed)",
     "本档案在期限前见到=1，期限后完整读过栏目仍不见=0，无证据=空 / first seen by the deadline=1, absent from a complete "
     "read after it=0", None),
    ("late_observed_capture", "INTEGER", "逾期证据", "lateness evidence",
     "期限后完整读到、仍不含该报告的栏目页抓取（/-/capture/<id>） / the column capture proving absence", None),
    ("sections_complete", "INTEGER", "六部分齐全", "six sections", "S-SECTIONS：通过=1，未通过=0 / pass=1, fail=0", None),
    ("sections_check", "INTEGER", "结构校验", "sections check", "S-SECTIONS 结果（checks.id） / evidence", None),
    ("tables_present", "INTEGER", "统计表齐全", "tables present", "S-TABLES：通过=1，未通过=0 / pass=1, fail=0", None),
    ("tables_check", "INTEGER", "统计表校验", "tables check", "S-TABLES 结果（checks.id） / evidence", None),
    ("tables_consistent", "INTEGER", "表格勾稽一致", "tables consistent",
     "表内校验（勾稽、合计、取值）无未通过=1，有=0，均无法判断=空 / no failing table check=1", None),
    ("table_failures", "INTEGER", "表格未通过项", "table check failures", "未通过的表内校验数 / failing table checks", "项"),
    ("table_check", "INTEGER", "表格校验", "table check", "第一个未通过的表内校验（checks.id） / evidence", None),
    ("text_matches_tables", "INTEGER", "文字与表格一致", "narrative matches tables",
     "S-TEXT-TABLE：无未通过且有通过=1，有未通过=0，未检查=空 / no fail=1, a fail=0, not run=NULL", None),
    ("text_table_failures", "INTEGER", "文表不符项", "narrative mismatches", "S-TEXT-TABLE 未通过数 / failing results", "项"),
    ("text_check", "INTEGER", "文表校验", "narrative check", "S-TEXT-TABLE 结果（checks.id） / evidence", None),
    ("repetition_text", "REAL", "文字重复率（对上年）", "text repetition vs last year",
     "本年正文段落（按字数）与上年近乎相同的比例（copy_stats；无该表时为 X-COPY 的字串重合比例） / share of the "
     "narrative repeated from last year's", None),
    ("repetition_tables", "REAL", "表格重复率（对上年）", "table repetition vs last year",
     "本年非零数值与上年同一单元格相同的比例（copy_stats） / share of non-zero values equal to last year's", None),
    ("not_copied_last_year", "INTEGER", "未照搬上年", "not a copy of last year",
     "X-COPY：通过=1，警示=0 / pass=1, warn=0", None),
    ("copy_check", "INTEGER", "重复校验", "copy check", "X-COPY 结果（checks.id） / evidence", None),
    ("copied_paragraphs", "INTEGER", "与其他机构相同的段落", "paragraphs shared with other agencies",
     "与其他机构报告近乎相同的段落数（X-COPY-OTHER）；未检查=空 / paragraphs shared; NULL when not run", "段"),
    ("copied_from_reports", "INTEGER", "雷同的其他机构报告数", "other agencies' reports sharing paragraphs",
     "X-COPY-OTHER 警示数（每份其他报告一条）；未检查=空 / X-COPY-OTHER warnings, one per other report", "份"),
    ("no_copied_paragraphs", "INTEGER", "无跨机构雷同", "no cross-agency copying",
     "X-COPY-OTHER：无警示=1，有=0 / none=1", None),
    ("copy_other_check", "INTEGER", "跨机构雷同校验", "cross-agency copy check",
     "X-COPY-OTHER 结果（checks.id） / evidence", None),
    ("changed_after_publication", "INTEGER", "发布后有变动", "changed after publication",
     "P-CHANGED：有警示=1，无=0，未检查=空 / a warn=1", None),
    ("unchanged", "INTEGER", "发布后未变动", "unchanged",
     "changed_after_publication 的反面，计入得分 / its opposite, scored", None),
    ("changed_check", "INTEGER", "变动校验", "change check", "P-CHANGED 警示（checks.id） / evidence", None),
    ("online", "TEXT", "在线状态", "online status",
     "online 在线 / missing 栏目中已不见 / gone 已撤下（有证据） / online, missing from its list, gone on evidence", None),
    ("still_online", "INTEGER", "仍在线", "still online",
     "在线=1，已撤下=0，栏目中不见=空 / online=1, gone=0, missing=NULL", None),
    ("gone_at", "TEXT", "撤下时间", "gone at", "reports.gone_at", None),
    ("has_html", "INTEGER", "网页版", "HTML edition", "有网页正文的报告 / a report as an HTML page", None),
    ("has_pdf", "INTEGER", "PDF版", "PDF edition", "PDF 页面或附件 / a PDF page or attachment", None),
    ("has_graphic", "INTEGER", "图解", "graphic edition", "有图解版 / a 图解 edition", None),
    ("editions", "INTEGER", "版本数", "report rows",
     "该机构该年度的报告行数（报告、图解、更正） / report rows of the agency-year", "份"),
    ("new_received", "INTEGER", "本年新收申请", "applications received",
     "计入的报告表三新收申请（总计） / table 三 new applications, counted row", "件"),
    ("total_processed", "INTEGER", "本年办结", "applications processed", "计入的报告表三办理结果总计 / counted row", "件"),
    ("admin_review", "INTEGER", "行政复议", "administrative reviews", "计入的报告表四行政复议总计 / counted row", "件"),
    ("litigation", "INTEGER", "行政诉讼", "lawsuits", "计入的报告表四行政诉讼总计 / counted row", "件"),
    ("indicators_known", "INTEGER", "可判断指标数", "indicators known",
     "非空的得分指标数 / scored indicators that are not NULL", "项"),
    ("indicators_met", "INTEGER", "达标指标数", "indicators met", "值为 1 的得分指标数 / scored indicators equal to 1", "项"),
    ("score", "REAL", "得分", "score", "达标指标数 ÷ 可判断指标数 × 100 / met ÷ known × 100", "分"),
]
NAMES = [c[0] for c in COLUMNS]
LABELS = {c[0]: c[2] for c in COLUMNS}
# The indicators `score` counts (1 = met). Facts beside them (days late, figures, editions) are not scored.
SCORED = ("on_time_declared", "on_time_observed", "sections_complete", "tables_present",
          "tables_consistent", "text_matches_tables", "not_copied_last_year", "no_copied_paragraphs",
          "unchanged", "still_online")

SCHEMA = (f"CREATE TABLE scorecard ({', '.join(f'{n} {t}' for n, t, *_ in COLUMNS)}, "
          "PRIMARY KEY (agency_key, report_year))")
INDEXES = [
    # the region page: WHERE region = ? AND report_year = ? ORDER BY <any column> (few hundred rows)
    "CREATE INDEX idx_scorecard_region ON scorecard(region, report_year, score)",
    "CREATE INDEX idx_scorecard_year ON scorecard(report_year, score)",
]

_RANK = "CASE k.status WHEN 'fail' THEN 4 WHEN 'warn' THEN 3 WHEN 'pass' THEN 2 WHEN 'not_assessable' THEN 1 END"
_STATUS = {4: "fail", 3: "warn", 2: "pass", 1: "not_assessable"}


def state(conn: sqlite3.Connection) -> str:
    """What the scorecard reads beyond the figures' fingerprint: reports marked gone or missing."""
    n = conn.execute("SELECT COUNT(gone_at), COUNT(missing_since), COALESCE(MAX(gone_at), '') "
                     "FROM reports").fetchone()
    return f"sc{VERSION}:{n[0]}/{n[1]}/{n[2]}"


def _results(conn: sqlite3.Connection) -> dict[int, dict]:
    """Per report, one pass over its current results of the checks the scorecard reads."""
    ids = [*ONE_RESULT.values(), *(v for k, v in MANY_RESULTS.items() if isinstance(v, str)), *TABLE_CHECKS]
    marks = ",".join("?" * len(ids))
    cols = []
    for name, cid in ONE_RESULT.items():
        cols += [f"MAX(CASE WHEN k.check_id = '{cid}' THEN {_RANK} END) AS {name}_rank",
                 f"MAX(CASE WHEN k.check_id = '{cid}' THEN k.id END) AS {name}_id"]
    cols += ["MAX(CASE WHEN k.check_id = 'P-DEADLINE' THEN k.delta END) AS deadline_delta",
             "MAX(CASE WHEN k.check_id = 'X-COPY' THEN k.actual END) AS copy_actual"]
    for name, cid in MANY_RESULTS.items():
        cond = (f"k.check_id IN ({', '.join(repr(c) for c in cid)})" if isinstance(cid, tuple)
                else f"k.check_id = '{cid}'")
        bad = "'warn'" if name in ("copy_other", "changed") else "'fail'"
        # X-COPY-OTHER warns once per other report, `actual` = the paragraphs shared with it
        cols += [f"SUM({cond}) AS {name}_n",
                 f"SUM(CASE WHEN {cond} AND k.status = {bad} THEN COALESCE(CAST(k.actual AS INTEGER), 1) END) "
                 f"AS {name}_bad_sum",
                 f"SUM({cond} AND k.status = {bad}) AS {name}_bad",
                 f"SUM({cond} AND k.status = 'pass') AS {name}_pass",
                 f"MIN(CASE WHEN {cond} AND k.status = {bad} THEN k.id END) AS {name}_bad_id",
                 f"MIN(CASE WHEN {cond} THEN k.id END) AS {name}_id"]
    cur = conn.execute(f"SELECT k.report_id, {', '.join(cols)} FROM checks k "
                       f"WHERE k.is_current = 1 AND k.check_id IN ({marks}) GROUP BY k.report_id", ids)
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur}


def _copy_stats(conn: sqlite3.Connection) -> dict[int, tuple] | None:
    """Repetition rates against the agency's previous year and paragraphs shared with other
    agencies, as the copy checks record them (`copy_stats`, archive/checks/copies.py); None in an
    archive without that table (X-COPY's text share is used then)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'copy_stats'").fetchone():
        return None
    return {rid: (text, tables, other) for rid, text, tables, other in conn.execute(
        "SELECT report_id, text_repeat_rate, table_repeat_rate, paragraphs_copied_other FROM copy_stats")}


def _number(v) -> float | None:
    try:
        return None if v is None or v == "" else float(v)
    except (TypeError, ValueError):
        return None


def _flag(rank: int | None, good: str = "pass", bad: tuple = ("fail", "warn")) -> int | None:
    status = _STATUS.get(rank)
    return 1 if status == good else 0 if status in bad else None


def _counts(r: dict | None, name: str, ran_means: str) -> tuple[int | None, int | None, int | None]:
    """(indicator, bad count, evidence id) from the aggregated results of one multi-result check.
    ran_means 'pass': met when none is bad and one passed; 'none_bad': met when it ran and none is bad."""
    if not r or not r[f"{name}_n"]:
        return None, None, None
    bad = int(r[f"{name}_bad"] or 0)
    evidence = r[f"{name}_bad_id"] or r[f"{name}_id"]
    if bad:
        return 0, bad, evidence
    if ran_means == "pass" and not r[f"{name}_pass"]:
        return None, 0, evidence     # every result not_assessable (or warn only): unknown
    return 1, 0, evidence


def rebuild(conn: sqlite3.Connection) -> int:
    """(Re)create `scorecard` from `report_figures` (built just before, same transaction) and the
    current check results; returns its number of rows."""
    conn.execute("DROP TABLE IF EXISTS scorecard")
    conn.execute(SCHEMA)
    for statement in INDEXES:
        conn.execute(statement)
    results = _results(conn)
    stats = _copy_stats(conn)
    figures = conn.execute("""
        SELECT f.report_id, f.agency_key, f.report_year, f.agency_display, f.region, f.agency_level,
               f.kind, f.counted, f.counted_reason, f.title, f.url, f.published, f.deadline,
               f.late_observed, f.late_observed_capture, f.new_received, f.total_processed,
               f.admin_review, f.litigation, r.gone_at, r.missing_since, r.edition_of
        FROM report_figures f JOIN reports r ON r.id = f.report_id
        WHERE f.agency_key IS NOT NULL AND f.report_year IS NOT NULL
        ORDER BY f.agency_key, f.report_year, f.report_id""")
    names = [d[0] for d in figures.description]
    groups: dict[tuple, list[dict]] = {}
    for row in figures:
        f = dict(zip(names, row))
        groups.setdefault((f["agency_key"], f["report_year"]), []).append(f)
    formats = _formats(conn)
    out = []
    for (key, year), members in groups.items():
        counted = next((m for m in members if m["counted"]), members[0])
        judged = counted
        if counted["kind"] == "correction":
            # the report the counted 更正 supersedes is judged (its reason names the 更正)
            judged = next((m for m in members if m["counted_reason"] == f"superseded by 更正 {counted['report_id']}"),
                          counted)
        rc, rj = results.get(counted["report_id"]), results.get(judged["report_id"])
        row = {n: None for n in NAMES}
        row.update(agency_key=key, report_year=year, agency_display=counted["agency_display"],
                   region=counted["region"], agency_level=counted["agency_level"],
                   report_id=counted["report_id"], judged_report_id=judged["report_id"],
                   title=judged["title"], url=judged["url"], published=judged["published"],
                   deadline=judged["deadline"], gone_at=judged["gone_at"])
        for k in ("new_received", "total_processed", "admin_review", "litigation"):
            row[k] = counted[k]
        if rj:
            row["on_time_declared"] = _flag(rj["deadline_rank"])
            row["deadline_check"] = rj["deadline_id"]
            late = _number(rj["deadline_delta"])
            row["days_late"] = int(late) if late is not None and row["on_time_declared"] == 0 else None
            row["sections_complete"] = _flag(rj["sections_rank"])
            row["sections_check"] = rj["sections_id"]
            row["not_copied_last_year"] = _flag(rj["copy_rank"])
            row["copy_check"] = rj["copy_id"]
            if stats is None:   # before copy_stats existed: X-COPY's share of 5-character shingles
                row["repetition_text"] = _number(rj["copy_actual"])
        if rc:
            row["tables_present"] = _flag(rc["tables_rank"])
            row["tables_check"] = rc["tables_id"]
        if stats is not None and judged["report_id"] in stats:
            row["repetition_text"], row["repetition_tables"], shared = stats[judged["report_id"]]
        else:
            shared = None
        row["tables_consistent"], row["table_failures"], row["table_check"] = _counts(rc, "table", "pass")
        row["text_matches_tables"], row["text_table_failures"], row["text_check"] = _counts(rj, "text", "pass")
        row["no_copied_paragraphs"], row["copied_from_reports"], row["copy_other_check"] = \
            _counts(rj, "copy_other", "none_bad")
        if row["copied_from_reports"] is not None:
            # distinct paragraphs as copy_stats counts them, else the sum over the other reports
            row["copied_paragraphs"] = shared if shared is not None else int(rj["copy_other_bad_sum"] or 0)
        unchanged, changes, row["changed_check"] = _counts(rj, "changed", "none_bad")
        row["unchanged"] = unchanged
        row["changed_after_publication"] = None if unchanged is None else int(not unchanged)
        lo = judged["late_observed"]
        row["on_time_observed"] = None if lo is None else int(not lo)
        row["late_observed_capture"] = judged["late_observed_capture"]
        row["online"] = "gone" if judged["gone_at"] else "missing" if judged["missing_since"] else "online"
        row["still_online"] = {"gone": 0, "missing": None, "online": 1}[row["online"]]
        kinds = [formats.get(m["report_id"], set()) for m in members]
        row["has_html"] = int(any("html" in k for k in kinds))
        row["has_pdf"] = int(any("pdf" in k for k in kinds))
        row["has_graphic"] = int(any(m["kind"] == "graphic" or "graphic" in k for m, k in zip(members, kinds)))
        row["editions"] = len(members)
        known = [row[s] for s in SCORED if row[s] is not None]
        row["indicators_known"], row["indicators_met"] = len(known), sum(known)
        row["score"] = round(100 * sum(known) / len(known), 1) if known else None
        out.append([row[n] for n in NAMES])
    conn.executemany(f"INSERT INTO scorecard ({', '.join(NAMES)}) VALUES ({', '.join('?' * len(NAMES))})", out)
    conn.execute("ANALYZE scorecard")
    return len(out)


def _formats(conn: sqlite3.Connection) -> dict[int, set[str]]:
    """Per report, the editions it offers a reader: 'html' (a report page with the report on it,
    not a page that only links a file), 'pdf' (a PDF page or attachment), 'graphic' (pictures)."""
    out: dict[int, set[str]] = {}
    for rid, kind, doc_type, part in conn.execute("""
            SELECT r.id, r.kind, v.doc_type, v.part FROM reports r
            JOIN report_versions v ON v.report_id = r.id AND v.is_current = 1
            UNION SELECT a.report_id, NULL, a.doc_type, 'attachment' FROM attachments a"""):
        s = out.setdefault(rid, set())
        if doc_type == "html" and part == "page" and kind == "report":
            s.add("html")
        elif doc_type == "pdf":
            s.add("pdf")
        elif doc_type == "image" and kind == "graphic":
            s.add("graphic")
    return out
