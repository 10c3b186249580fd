"""The archive's tables and views (docs/archive.md), created and migrated on open.

Migrations are numbered SQL scripts applied in order inside one transaction each; the applied
number is kept in `schema_version`. Never edit a released migration: add a new one.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlite_utils

from archive import versiondoc
from archive.tx import transaction
from nianbao import canon

# ---------------------------------------------------------------- migrations
M1_TABLES = """
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    platform TEXT,
    render TEXT NOT NULL DEFAULT 'auto' CHECK (render IN ('static', 'browser', 'auto')),
    region TEXT,
    level TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    verified INTEGER NOT NULL DEFAULT 0,
    config TEXT,              -- JSON: politeness overrides, schedule, notes
    render_decision TEXT,     -- what render:auto learned (static/browser), remembered per source
    blocked_at TEXT,          -- last time an anti-bot answer was seen
    blocked_reason TEXT
);
CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    finish_reason TEXT,
    stats TEXT,               -- JSON of Scrapy stats and our counters
    version TEXT NOT NULL,
    sources TEXT              -- JSON list of source ids crawled
);
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES crawl_runs(id),
    source_id TEXT REFERENCES sources(id),
    url TEXT NOT NULL,
    final_url TEXT,
    method TEXT NOT NULL DEFAULT 'GET',
    status INTEGER,
    headers TEXT,             -- JSON of response headers
    request_headers TEXT,     -- JSON of request headers sent
    content_type TEXT,
    sha256 TEXT,
    size INTEGER,
    fetched_at TEXT NOT NULL,
    rendered INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL CHECK (outcome IN
        ('ok', 'not_modified', 'blocked', 'error', 'too_large', 'robots_denied')),
    error TEXT,
    role TEXT,                -- list, api, detail, attachment, image, robots
    referer TEXT,
    etag TEXT,
    last_modified TEXT,
    warc_file TEXT,
    warc_offset INTEGER,
    warc_length INTEGER,
    warc_record_id TEXT
);
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    source_id TEXT REFERENCES sources(id),
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    agency TEXT,
    agency_key TEXT,
    report_year INTEGER,
    published TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    gone_at TEXT,             -- set when the report vanished from its portal; rows are never deleted
    format TEXT CHECK (format IN ('2019', '2021', 'legacy') OR format IS NULL),
    kind TEXT NOT NULL DEFAULT 'report',
    edition_of INTEGER REFERENCES reports(id),  -- another URL of the same report (edition)
    current_version_id INTEGER,
    body_text TEXT,
    list_title TEXT,
    list_date TEXT
);
CREATE TABLE report_versions (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    capture_id INTEGER NOT NULL REFERENCES captures(id),
    sha256 TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    extractor_version TEXT NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 1,
    doc_type TEXT,
    format TEXT,
    title TEXT,
    error TEXT,               -- JSON {code, message} when extraction failed
    document TEXT,            -- the extract JSON minus cells (sections, metadata, links)
    UNIQUE (report_id, capture_id, extractor_version)
);
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    url TEXT NOT NULL,
    filename TEXT,
    mime TEXT,
    sha256 TEXT,
    size INTEGER,
    capture_id INTEGER REFERENCES captures(id),
    text TEXT,
    doc_type TEXT,
    extractable INTEGER,
    error TEXT,
    UNIQUE (report_id, url)
);
CREATE TABLE cells (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    version_id INTEGER NOT NULL REFERENCES report_versions(id),
    tbl TEXT NOT NULL CHECK (tbl IN ('t2', 't3', 't4')),
    row_key TEXT NOT NULL,
    col_key TEXT NOT NULL,
    value REAL,
    raw TEXT,
    semantic TEXT NOT NULL CHECK (semantic IN ('NUMERIC', 'ZERO', 'EMPTY', 'NA', 'TEXT')),
    locator TEXT,
    capture_id INTEGER REFERENCES captures(id)  -- the bytes the cell was read from
);
CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    version_id INTEGER REFERENCES report_versions(id),
    check_id TEXT NOT NULL,
    check_version TEXT,
    scope TEXT,               -- which column/row/year pair the result is about
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'not_assessable')),
    expression TEXT,
    expected TEXT,
    actual TEXT,
    delta REAL,
    detail TEXT,
    cells TEXT,               -- JSON list of the cells involved
    is_current INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE agency_aliases (
    alias_key TEXT PRIMARY KEY,   -- a normalised agency key
    agency_key TEXT NOT NULL,     -- the key it is the same agency as (renames, 机构改革)
    note TEXT
);
CREATE INDEX idx_captures_url ON captures(url);
CREATE INDEX idx_captures_sha ON captures(sha256);
CREATE INDEX idx_captures_run ON captures(run_id);
CREATE INDEX idx_reports_source ON reports(source_id);
CREATE INDEX idx_reports_agency_year ON reports(agency_key, report_year);
CREATE INDEX idx_versions_report ON report_versions(report_id);
CREATE INDEX idx_cells_version ON cells(version_id, tbl, row_key);
CREATE INDEX idx_cells_report ON cells(report_id);
CREATE INDEX idx_checks_version ON checks(version_id);
CREATE INDEX idx_checks_report ON checks(report_id, status);
CREATE INDEX idx_attachments_report ON attachments(report_id);
"""


# A whole number read from a cell is shown as one (684, not 684.0); 万元 fees keep their decimals.
_AS_NUMBER = "CASE WHEN c.value = CAST(c.value AS INTEGER) THEN CAST(c.value AS INTEGER) ELSE c.value END"


def _wide_view(name: str, table: str, cols: list[str], whole_numbers: bool = False) -> str:
    value = _AS_NUMBER if whole_numbers else "c.value"
    pivots = ",\n    ".join(
        f"MAX(CASE WHEN c.col_key = '{k}' THEN {value} END) AS {k.replace('.', '_')}" for k in cols)
    return f"""
CREATE VIEW {name} AS
SELECT c.report_id, c.version_id, r.agency, r.report_year, r.format, c.row_key,
    {pivots},
    r.url AS report_url
FROM cells c
JOIN reports r ON r.id = c.report_id AND r.current_version_id = c.version_id
WHERE c.tbl = '{table}'
GROUP BY c.report_id, c.version_id, c.row_key;
"""


def _views() -> str:
    t2_cols = [k.key for k in canon.T2_COLS]
    t3_cols = [k.key for k in canon.T3_COLS]
    t4_cols = [k.key for k in canon.T4_COLS]
    return (
        _wide_view("t2_wide", "t2", t2_cols)
        + _wide_view("t3_wide", "t3", t3_cols)
        + _wide_view("t4_wide", "t4", t4_cols)
        + """
CREATE VIEW report_overview AS
SELECT r.id, r.agency, r.report_year, r.format, r.kind, r.published, r.first_seen, r.last_seen,
    r.gone_at, r.title, r.source_id,
    (SELECT COUNT(*) FROM checks k WHERE k.version_id = r.current_version_id
        AND k.is_current = 1 AND k.status = 'fail') AS failing_checks,
    (SELECT COUNT(*) FROM report_versions v WHERE v.report_id = r.id AND v.is_current = 1)
        AS versions,
    r.url
FROM reports r;
""")


# Migration 2: report identity beyond one URL, attachment versions, full-text search.
M2_IDENTITY_SEARCH = """
-- Every URL a report was reached by (the same agency + year + edition under another URL).
CREATE TABLE report_urls (
    url TEXT PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
INSERT INTO report_urls (url, report_id, first_seen, last_seen)
    SELECT url, id, first_seen, last_seen FROM reports;
CREATE INDEX idx_report_urls_report ON report_urls(report_id);
-- A version is the extraction of one part of a report: its page, or one of its attachments
-- (an attachment-only report's tables come from the attachment's own capture and version).
ALTER TABLE report_versions ADD COLUMN part TEXT NOT NULL DEFAULT 'page';
ALTER TABLE report_versions ADD COLUMN attachment_id INTEGER REFERENCES attachments(id);
-- Fingerprint of what was extracted (title, date, body, cells): bytes that change without
-- changing the content (visit counters) are not a new version.
ALTER TABLE report_versions ADD COLUMN content_sha TEXT;
-- Whether a not_assessable sum would pass if its blank operands were 0.
ALTER TABLE checks ADD COLUMN if_blanks_zero TEXT;
CREATE INDEX idx_versions_capture ON report_versions(capture_id);
CREATE INDEX idx_versions_current ON report_versions(is_current, extractor_version);
CREATE INDEX idx_reports_edition ON reports(edition_of);
CREATE INDEX idx_reports_year ON reports(report_year, agency_key);
CREATE INDEX idx_checks_id_status ON checks(check_id, status, is_current);
CREATE INDEX idx_cells_tbl_row ON cells(tbl, row_key, col_key);
-- Trigram index: exact substrings of three or more characters (titles and bodies).
CREATE VIRTUAL TABLE reports_fts USING fts5(
    title, body_text, content='reports', content_rowid='id', tokenize='trigram');
CREATE TRIGGER reports_fts_ai AFTER INSERT ON reports BEGIN
    INSERT INTO reports_fts (rowid, title, body_text) VALUES (new.id, new.title, new.body_text);
END;
CREATE TRIGGER reports_fts_ad AFTER DELETE ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body_text)
        VALUES ('delete', old.id, old.title, old.body_text);
END;
CREATE TRIGGER reports_fts_au AFTER UPDATE OF title, body_text ON reports BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body_text)
        VALUES ('delete', old.id, old.title, old.body_text);
    INSERT INTO reports_fts (rowid, title, body_text) VALUES (new.id, new.title, new.body_text);
END;
INSERT INTO reports_fts (reports_fts) VALUES ('rebuild');
-- Word index for one- and two-character words (复议, 公开): jieba tokens joined by spaces,
-- rowid = reports.id. Kept in sync by the writer (archive.search.sync_segments): jieba is Python.
CREATE VIRTUAL TABLE reports_seg USING fts5(title, body_text, tokenize='unicode61');
"""


def _m2_segment_existing(conn: sqlite3.Connection) -> None:
    from archive import search  # jieba is imported lazily: only files with reports need it
    for rid, title, body in conn.execute("SELECT id, title, body_text FROM reports").fetchall():
        search.write_segments(conn, rid, title, body)


def _m4_views(whole_numbers: bool = False) -> str:
    """The wide views again, grouped also by the report columns they show (functionally
    dependent, so the rows are the same): SQLite then pushes `WHERE report_year = …` or
    `agency = …` into the view instead of pivoting every report first."""
    out = ["DROP VIEW t2_wide;", "DROP VIEW t3_wide;", "DROP VIEW t4_wide;"]
    for name, table, keys in (("t2_wide", "t2", canon.T2_COLS), ("t3_wide", "t3", canon.T3_COLS),
                              ("t4_wide", "t4", canon.T4_COLS)):
        view = _wide_view(name, table, [k.key for k in keys], whole_numbers)
        out.append(view.replace("GROUP BY c.report_id, c.version_id, c.row_key;",
                                "GROUP BY c.report_id, c.version_id, c.row_key, r.agency, "
                                "r.report_year, r.format, r.url;"))
    return "\n".join(out)


# Migration 5: what the crawler records beside captures, and the lookups it does on every item.
M5_CRAWL_TABLES = """
-- List items the crawler saw and did not archive as reports (noise, duplicates), per run.
CREATE TABLE IF NOT EXISTS skipped (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES crawl_runs(id),
    source_id TEXT REFERENCES sources(id),
    url TEXT NOT NULL,
    title TEXT,
    reason TEXT NOT NULL,          -- noise, duplicate, ...
    seen_at TEXT NOT NULL,
    UNIQUE (source_id, url, reason)
);
-- The worker processes of a distributed crawl (crawler/distributed.py), under one crawl_runs row.
CREATE TABLE IF NOT EXISTS crawl_workers (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    worker TEXT NOT NULL,          -- host-pid
    host TEXT,
    pid INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',   -- running, finished, aborted
    finish_reason TEXT,
    warc_file TEXT,                -- the WARC file this worker appended to
    stats TEXT,                    -- JSON, like crawl_runs.stats
    UNIQUE (run_id, worker)
);
CREATE INDEX IF NOT EXISTS idx_attachments_url ON attachments(url);
"""

# Migration 6: the trigram index is rewritten only when the title or body really changed (every
# store and re-extraction sets the title; rewriting ~6 ms of FTS rows for nothing).
M6_FTS_TRIGGER = """
DROP TRIGGER reports_fts_au;
CREATE TRIGGER reports_fts_au AFTER UPDATE OF title, body_text ON reports
WHEN old.title IS NOT new.title OR old.body_text IS NOT new.body_text BEGIN
    INSERT INTO reports_fts (reports_fts, rowid, title, body_text)
        VALUES ('delete', old.id, old.title, old.body_text);
    INSERT INTO reports_fts (rowid, title, body_text) VALUES (new.id, new.title, new.body_text);
END;
"""

# Migration 7: storing an item records rows only; what is derived from them (search segments,
# checks, the neighbours' checks) is computed later by archive/derive.py, for the report ids
# queued here. Persistent, so a crawl killed mid-way leaves its queue to the next drain.
M7_DERIVE_QUEUE = """
CREATE TABLE IF NOT EXISTS derive_queue (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id),
    queued_at TEXT NOT NULL
);
"""



def _m8_off_scope(conn: sqlite3.Connection) -> None:
    """Migration 8: captures may be `off_scope` (a request crawler/scope.py refused: recorded with
    its reason, never fetched). Only the outcome CHECK widens, so SQLite's documented in-place
    edit of the table's SQL applies (every stored row satisfies the wider constraint)."""
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'captures'").fetchone()
    if "'off_scope'" in sql:
        return
    wider = sql.replace("'too_large', 'robots_denied')", "'too_large', 'robots_denied', 'off_scope')")
    assert wider != sql, "captures.outcome CHECK not found"
    (version,) = conn.execute("PRAGMA schema_version").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'captures'", [wider])
    conn.execute(f"PRAGMA schema_version = {version + 1}")
    conn.execute("PRAGMA writable_schema = OFF")


# A report missing from a complete list is gone only on evidence (docs/archive.md, "Gone"): the
# first finished run whose complete list no longer shows it is kept here, a second one marks it.
M9_MISSING_SINCE = """
ALTER TABLE reports ADD COLUMN missing_since INTEGER;   -- crawl_runs.id; NULL once seen again
"""

# Source health (archive/health.py, docs/operations.md): one row per source per closed run, with
# the status that run earned and its evidence; the latest row of each source is the view.
M_SOURCE_HEALTH = """
CREATE TABLE IF NOT EXISTS source_health (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
    source_id TEXT NOT NULL REFERENCES sources(id),
    checked_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'empty', 'shrunk', 'incomplete', 'blocked',
        'robots_denied', 'unreachable', 'errors', 'changed_structure')),
    previous_status TEXT,     -- the source's status in its previous health row (NULL: first)
    items INTEGER,            -- distinct entries its lists showed (NULL: no list page was read)
    expected INTEGER,         -- entries its lists print they hold
    lists_ok INTEGER,         -- list/API URLs read
    lists_failed INTEGER,     -- list/API URLs that never answered usably
    fetched INTEGER,          -- other URLs (details, files) asked for
    failed INTEGER,           -- of those, how many never answered usably
    detail TEXT,              -- JSON: why, with the figures and sample URLs
    UNIQUE (run_id, source_id)
);
CREATE INDEX IF NOT EXISTS source_health_source ON source_health (source_id, run_id);
CREATE VIEW IF NOT EXISTS source_health_latest AS
    SELECT h.*, s.name AS source_name, s.url AS source_url FROM source_health h
    LEFT JOIN sources s ON s.id = h.source_id
    WHERE h.id = (SELECT MAX(h2.id) FROM source_health h2 WHERE h2.source_id = h.source_id);
"""

def _m_bigram_search(conn: sqlite3.Connection) -> None:
    """The word index without jieba (archive/search.py): `reports_seg` becomes a contentless
    FTS5 index of two-character pieces (`nianbao_bigrams`), kept in sync by triggers like the
    trigram index; the jieba rows of existing archives are replaced by the pieces of every report."""
    from archive import search
    search.register(conn)
    fn = search.SQL_FUNCTION
    conn.execute("DROP TABLE IF EXISTS reports_seg")
    conn.execute("CREATE VIRTUAL TABLE reports_seg USING fts5(title, body_text, content='', "
                 "tokenize='unicode61 remove_diacritics 0')")
    conn.execute(f"""CREATE TRIGGER reports_seg_ai AFTER INSERT ON reports BEGIN
    INSERT INTO reports_seg (rowid, title, body_text) VALUES (new.id, {fn}(new.title), {fn}(new.body_text));
END""")
    conn.execute(f"""CREATE TRIGGER reports_seg_ad AFTER DELETE ON reports BEGIN
    INSERT INTO reports_seg (reports_seg, rowid, title, body_text)
        VALUES ('delete', old.id, {fn}(old.title), {fn}(old.body_text));
END""")
    conn.execute(f"""CREATE TRIGGER reports_seg_au AFTER UPDATE OF title, body_text ON reports
WHEN old.title IS NOT new.title OR old.body_text IS NOT new.body_text BEGIN
    INSERT INTO reports_seg (reports_seg, rowid, title, body_text)
        VALUES ('delete', old.id, {fn}(old.title), {fn}(old.body_text));
    INSERT INTO reports_seg (rowid, title, body_text) VALUES (new.id, {fn}(new.title), {fn}(new.body_text));
END""")
    conn.execute(f"INSERT INTO reports_seg (rowid, title, body_text) SELECT id, {fn}(title), {fn}(body_text) "
                 "FROM reports")


# A cell read from a picture (OCR) carries `source = 'ocr'` and the recogniser's confidence; NULL
# for cells read from text, as before.
M_CELL_SOURCE = """
ALTER TABLE cells ADD COLUMN source TEXT;
ALTER TABLE cells ADD COLUMN confidence REAL;
"""

# X-COPY-OTHER (archive/checks/copies.py): MinHash signatures of report paragraphs, the LSH
# index as (band, bucket) rows, what each report's index rows were built from, and the
# repetition rates the scorecard reads.
M_COPIES = """
CREATE TABLE paragraph_sigs (
    report_id INTEGER NOT NULL, version_id INTEGER NOT NULL, para_no INTEGER NOT NULL,
    chars INTEGER NOT NULL, minhash BLOB NOT NULL, PRIMARY KEY (report_id, para_no));
CREATE TABLE paragraph_bands (
    band INTEGER NOT NULL, bucket INTEGER NOT NULL, report_id INTEGER NOT NULL, para_no INTEGER NOT NULL);
CREATE INDEX idx_paragraph_bands_bucket ON paragraph_bands(band, bucket);
CREATE INDEX idx_paragraph_bands_report ON paragraph_bands(report_id);
-- which version each report's rows were built from; row 0 counts the index's changes
CREATE TABLE copy_index_state (report_id INTEGER PRIMARY KEY, version_id INTEGER);
CREATE TABLE copy_stats (
    report_id INTEGER PRIMARY KEY,
    version_id INTEGER,
    prev_report_id INTEGER,        -- the same agency's report of the previous year
    text_repeat_rate REAL,         -- share of paragraph characters repeated from it (0-1)
    table_repeat_rate REAL,        -- share of non-zero numbers equal to its number in the same cell (0-1)
    paragraphs INTEGER,            -- paragraphs compared
    cells_compared INTEGER,
    paragraphs_copied_other INTEGER,   -- paragraphs shared with another agency (X-COPY-OTHER)
    computed_at TEXT);
"""

def _m_one_search_index(conn: sqlite3.Connection) -> None:
    """Migration 15: one search index. `reports_seg` gets a one-character piece where each run of
    word characters ends (archive/search.py), so that a phrase of two-character pieces matches
    exactly the substrings and one character is a prefix query: it finds terms of every length,
    and the trigram index `reports_fts` (with its triggers) goes. The triggers of `reports_seg`
    call `nianbao_bigrams` by name and stay; the index is rebuilt from `reports`, which holds
    every title and body (nothing is lost: both indexes were derived from them). The freed
    pages are reused by later writes; `VACUUM` gives them back to the file system."""
    from archive import search
    search.register(conn)
    fn = search.SQL_FUNCTION
    for trigger in ("reports_fts_ai", "reports_fts_ad", "reports_fts_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("DROP TABLE IF EXISTS reports_fts")
    conn.execute("DROP TABLE IF EXISTS reports_seg")
    conn.execute("CREATE VIRTUAL TABLE reports_seg USING fts5(title, body_text, content='', "
                 "tokenize='unicode61 remove_diacritics 0')")
    conn.execute(f"INSERT INTO reports_seg (rowid, title, body_text) SELECT id, {fn}(title), {fn}(body_text) "
                 "FROM reports")


def _m_operands_by_definition(conn: sqlite3.Connection) -> None:
    """Migration 16: passing sum checks stop repeating their operands (docs/checks.md#storage).
    A row's `cells` JSON becomes NULL only where the cells its definition names, read from the
    same version, are exactly the ones it lists, so `archive.checks.fill_operands` gives every
    row back as it was. Freed pages are reused by later writes; `VACUUM` returns them."""
    import json

    from archive import checks
    ids = sorted(checks.OPERANDS_BY_DEFINITION)
    present: dict[int, dict] = {}
    drop = []
    for rid, vid, cid, scope, cells in conn.execute(
            f"SELECT id, version_id, check_id, scope, cells FROM checks WHERE status = 'pass' "
            f"AND cells IS NOT NULL AND check_id IN ({','.join('?' * len(ids))}) ORDER BY version_id", ids):
        if vid not in present:
            present = {vid: checks.present_cells(
                {"tbl": t, "row_key": r, "col_key": c, "raw": raw} for t, r, c, raw in conn.execute(
                    "SELECT tbl, row_key, col_key, raw FROM cells WHERE version_id = ?", [vid]))}
        try:
            listed = json.loads(cells)
        except ValueError:
            continue
        if isinstance(listed, dict) and listed and checks.operands(cid, scope, present[vid]) == listed:
            drop.append((rid,))
        if len(drop) >= 10_000:
            conn.executemany("UPDATE checks SET cells = NULL WHERE id = ?", drop)
            drop = []
    conn.executemany("UPDATE checks SET cells = NULL WHERE id = ?", drop)


def _m_sections_as_offsets(conn: sqlite3.Connection) -> None:
    """Migration 17: a version document's sections keep offsets into its body text, not the text
    again (archive/versiondoc.py); `versiondoc.load` gives every document back as it was."""
    import json

    from archive import versiondoc
    last = 0
    while True:
        rows = conn.execute("SELECT id, document FROM report_versions WHERE id > ? AND document IS NOT NULL "
                            "ORDER BY id LIMIT 2000", [last]).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        new = []
        for i, stored in rows:
            try:
                ok = isinstance(json.loads(stored), dict)
            except ValueError:
                ok = False
            if ok:   # anything else is kept as it is
                packed = versiondoc.pack(versiondoc.load(stored))
                if packed != stored:
                    new.append((packed, i))
        conn.executemany("UPDATE report_versions SET document = ? WHERE id = ?", new)


# Cells in a compact table (issue 16, docs/archive.md#cells): each (tbl, row_key) is named once
# in `cell_rows`, each col_key once in `cell_cols`; `cell_values` is keyed by (version, row, col)
# WITHOUT ROWID, so a version's cells are stored row by row: the wide views group them in key
# order and stream (a first page reads ~100 rows, not the whole archive). The report comes from
# the version, the capture only where it is not the version's, the semantic as a small code.
# `cells` stays, as a view with the columns it always had (`row_id`, `col_id` in place of `id`,
# numbered in the order rows and columns first appear: ORDER BY them for the printed order), and
# inserting into it goes through a trigger, so readers and the writer see one door.
SEMANTIC_CODES = {"ZERO": 0, "NUMERIC": 1, "EMPTY": 2, "NA": 3, "TEXT": 4}   # 0 and 1 cost no bytes
_SEMANTIC_NAME = "CASE {x} " + " ".join(f"WHEN {n} THEN '{k}'" for k, n in SEMANTIC_CODES.items()) + " END"
_SEMANTIC_CODE = "CASE {x} " + " ".join(f"WHEN '{k}' THEN {n}" for k, n in SEMANTIC_CODES.items()) + " END"
M_CODED_CELLS_TABLES = """
CREATE TABLE cell_rows (
    id INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL CHECK (tbl IN ('t2', 't3', 't4')),
    row_key TEXT NOT NULL,
    UNIQUE (tbl, row_key)
);
CREATE TABLE cell_cols (
    id INTEGER PRIMARY KEY,
    col_key TEXT NOT NULL UNIQUE
);
CREATE TABLE cell_values (
    version_id INTEGER NOT NULL REFERENCES report_versions(id),
    row_id INTEGER NOT NULL REFERENCES cell_rows(id),
    col_id INTEGER NOT NULL REFERENCES cell_cols(id),
    value REAL,
    raw TEXT,
    semantic INTEGER NOT NULL CHECK (semantic BETWEEN 0 AND 4),
    locator TEXT,
    capture_id INTEGER REFERENCES captures(id),   -- NULL: the version's own capture
    source TEXT,
    confidence REAL,
    PRIMARY KEY (version_id, row_id, col_id)
) WITHOUT ROWID;
CREATE INDEX idx_cell_values_key ON cell_values(row_id, col_id);
"""
M_CODED_CELLS_VIEW = f"""
CREATE VIEW cells AS
SELECT v.report_id, cv.version_id, cv.row_id, cv.col_id, k.tbl, k.row_key, cc.col_key, cv.value,
    cv.raw, {_SEMANTIC_NAME.format(x="cv.semantic")} AS semantic, cv.locator,
    COALESCE(cv.capture_id, v.capture_id) AS capture_id, cv.source, cv.confidence
FROM cell_values cv
JOIN cell_rows k ON k.id = cv.row_id
JOIN cell_cols cc ON cc.id = cv.col_id
JOIN report_versions v ON v.id = cv.version_id;
CREATE TRIGGER cells_insert INSTEAD OF INSERT ON cells BEGIN
    SELECT RAISE(ABORT, 'cells: tbl must be t2, t3 or t4') WHERE new.tbl NOT IN ('t2', 't3', 't4');
    SELECT RAISE(ABORT, 'cells: semantic must be NUMERIC, ZERO, EMPTY, NA or TEXT')
        WHERE {_SEMANTIC_CODE.format(x="new.semantic")} IS NULL;
    SELECT RAISE(ABORT, 'cells: report_id is not the version''s report')
        WHERE new.report_id IS NOT NULL
        AND new.report_id IS NOT (SELECT report_id FROM report_versions WHERE id = new.version_id);
    INSERT OR IGNORE INTO cell_rows (tbl, row_key) VALUES (new.tbl, new.row_key);
    INSERT OR IGNORE INTO cell_cols (col_key) VALUES (new.col_key);
    INSERT INTO cell_values (version_id, row_id, col_id, value, raw, semantic, locator, capture_id,
        source, confidence)
    VALUES (new.version_id,
        (SELECT id FROM cell_rows WHERE tbl = new.tbl AND row_key = new.row_key),
        (SELECT id FROM cell_cols WHERE col_key = new.col_key),
        new.value, new.raw, {_SEMANTIC_CODE.format(x="new.semantic")}, new.locator,
        NULLIF(new.capture_id, (SELECT capture_id FROM report_versions WHERE id = new.version_id)),
        new.source, new.confidence);
END;
"""


def _coded_wide_view(name: str, table: str, cols: list[str]) -> str:
    """A wide view over `cell_values` grouped in its key order (report, its current version, row):
    rows come out as they are read, so LIMIT stops early, and `WHERE report_id/report_year/agency
    = …` is pushed into the view (they are grouped on too; they depend on the report). CROSS JOIN
    keeps that loop order: SQLite's planner could otherwise start from the row keys and sort."""
    value = _AS_NUMBER.replace("c.value", "cv.value")
    pivots = ",\n    ".join(
        f"MAX(CASE WHEN cc.col_key = '{k}' THEN {value} END) AS {k.replace('.', '_')}" for k in cols)
    return f"""
CREATE VIEW {name} AS
SELECT r.id AS report_id, cv.version_id, r.agency, r.report_year, r.format, k.row_key,
    {pivots},
    r.url AS report_url
FROM reports r
CROSS JOIN cell_values cv ON cv.version_id = r.current_version_id
CROSS JOIN cell_rows k ON k.id = cv.row_id
CROSS JOIN cell_cols cc ON cc.id = cv.col_id
WHERE k.tbl = '{table}'
GROUP BY r.id, cv.version_id, cv.row_id, r.agency, r.report_year, r.format, r.url;
"""


def _m_coded_cells(conn: sqlite3.Connection) -> None:
    """Migration 18: `cells` becomes the view over `cell_rows`, `cell_cols` and `cell_values`, and
    the wide views read those. Every row is carried over; an archive whose cells the new keys
    could not hold as they are (two cells of one version under one key, a cell whose report is
    not its version's) stops the migration with that reason rather than losing a row."""
    dup = conn.execute("SELECT version_id, tbl, row_key, col_key FROM cells GROUP BY 1, 2, 3, 4 "
                       "HAVING COUNT(*) > 1 LIMIT 1").fetchone()
    if dup:
        raise sqlite3.IntegrityError(f"migration 18: two cells of version {dup[0]} under {dup[1:]}")
    odd = conn.execute("SELECT c.id FROM cells c LEFT JOIN report_versions v ON v.id = c.version_id "
                       "WHERE v.report_id IS NOT c.report_id LIMIT 1").fetchone()
    if odd:
        raise sqlite3.IntegrityError(f"migration 18: cell {odd[0]} is not of its version's report")
    for stmt in _statements(M_CODED_CELLS_TABLES):
        conn.execute(stmt)
    # Rows and columns numbered in the order they first appear: the printed order.
    conn.execute("INSERT INTO cell_rows (tbl, row_key) SELECT tbl, row_key FROM cells "
                 "GROUP BY 1, 2 ORDER BY MIN(id)")
    conn.execute("INSERT INTO cell_cols (col_key) SELECT col_key FROM cells GROUP BY 1 ORDER BY MIN(id)")
    conn.execute(f"""INSERT INTO cell_values (version_id, row_id, col_id, value, raw, semantic, locator,
                         capture_id, source, confidence)
        SELECT c.version_id, k.id, cc.id, c.value, c.raw, {_SEMANTIC_CODE.format(x="c.semantic")},
            c.locator, NULLIF(c.capture_id, v.capture_id), c.source, c.confidence
        FROM cells c JOIN cell_rows k ON k.tbl = c.tbl AND k.row_key = c.row_key
        JOIN cell_cols cc ON cc.col_key = c.col_key
        JOIN report_versions v ON v.id = c.version_id
        ORDER BY c.version_id, k.id, cc.id""")
    for view in ("t2_wide", "t3_wide", "t4_wide"):
        conn.execute(f"DROP VIEW IF EXISTS {view}")
    conn.execute("DROP TABLE cells")
    for stmt in _statements(M_CODED_CELLS_VIEW):
        conn.execute(stmt)
    for name, table, keys in (("t2_wide", "t2", canon.T2_COLS), ("t3_wide", "t3", canon.T3_COLS),
                              ("t4_wide", "t4", canon.T4_COLS)):
        conn.execute(_coded_wide_view(name, table, [k.key for k in keys]))


# Checks in a compact table (issue 16, docs/archive.md#checks): what a check is (its id, version,
# scope and expression: a few hundred kinds in an archive) is named once in `check_kinds`;
# `check_results` keeps per row only what is the version's own. `checks` stays, as a view with
# the columns it always had, and inserts, updates and deletes go through its triggers.
M_CODED_CHECKS_TABLES = """
CREATE TABLE check_kinds (
    id INTEGER PRIMARY KEY,
    check_id TEXT NOT NULL,
    check_version TEXT,
    scope TEXT,
    expression TEXT,
    UNIQUE (check_id, scope, expression, check_version)
);
CREATE TABLE check_results (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    version_id INTEGER REFERENCES report_versions(id),
    kind_id INTEGER NOT NULL REFERENCES check_kinds(id),
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'not_assessable')),
    expected TEXT,
    actual TEXT,
    delta REAL,
    detail TEXT,
    cells TEXT,
    is_current INTEGER NOT NULL DEFAULT 1,
    if_blanks_zero TEXT
);
CREATE INDEX idx_check_results_version ON check_results(version_id);
CREATE INDEX idx_check_results_report ON check_results(report_id, status);
CREATE INDEX idx_check_results_kind ON check_results(kind_id, status, is_current);
"""
_KIND_OF_NEW = ("(SELECT id FROM check_kinds WHERE check_id = new.check_id AND scope IS new.scope "
                "AND expression IS new.expression AND check_version IS new.check_version)")
_ADD_KIND = f"""INSERT INTO check_kinds (check_id, check_version, scope, expression)
        SELECT new.check_id, new.check_version, new.scope, new.expression WHERE {_KIND_OF_NEW} IS NULL;"""
M_CODED_CHECKS_VIEW = f"""
CREATE VIEW checks AS
SELECT r.id, r.report_id, r.version_id, k.check_id, k.check_version, k.scope, r.status,
    k.expression, r.expected, r.actual, r.delta, r.detail, r.cells, r.is_current, r.if_blanks_zero
FROM check_results r
JOIN check_kinds k ON k.id = r.kind_id;
CREATE TRIGGER checks_insert INSTEAD OF INSERT ON checks BEGIN
    SELECT RAISE(ABORT, 'checks: check_id is required') WHERE new.check_id IS NULL;
    {_ADD_KIND}
    INSERT INTO check_results (id, report_id, version_id, kind_id, status, expected, actual,
        delta, detail, cells, is_current, if_blanks_zero)
    VALUES (new.id, new.report_id, new.version_id, {_KIND_OF_NEW}, new.status, new.expected,
        new.actual, new.delta, new.detail, new.cells, COALESCE(new.is_current, 1), new.if_blanks_zero);
END;
CREATE TRIGGER checks_update INSTEAD OF UPDATE ON checks BEGIN
    SELECT RAISE(ABORT, 'checks: check_id is required') WHERE new.check_id IS NULL;
    {_ADD_KIND}
    UPDATE check_results SET id = new.id, report_id = new.report_id, version_id = new.version_id,
        kind_id = {_KIND_OF_NEW}, status = new.status, expected = new.expected,
        actual = new.actual, delta = new.delta, detail = new.detail, cells = new.cells,
        is_current = new.is_current, if_blanks_zero = new.if_blanks_zero
    WHERE id = old.id;
END;
CREATE TRIGGER checks_delete INSTEAD OF DELETE ON checks BEGIN
    DELETE FROM check_results WHERE id = old.id;
END;
"""


def _m_coded_checks(conn: sqlite3.Connection) -> None:
    """Migration 19: `checks` becomes the view over `check_kinds` and `check_results`; every
    row keeps its id and its values."""
    for stmt in _statements(M_CODED_CHECKS_TABLES):
        conn.execute(stmt)
    # Kinds numbered in the order they first appear.
    conn.execute("INSERT INTO check_kinds (check_id, check_version, scope, expression) "
                 "SELECT check_id, check_version, scope, expression FROM checks "
                 "GROUP BY check_id, scope, expression, check_version ORDER BY MIN(id)")
    conn.execute("""INSERT INTO check_results (id, report_id, version_id, kind_id, status, expected,
            actual, delta, detail, cells, is_current, if_blanks_zero)
        SELECT c.id, c.report_id, c.version_id, k.id, c.status, c.expected, c.actual, c.delta,
            c.detail, c.cells, c.is_current, c.if_blanks_zero
        FROM checks c JOIN check_kinds k ON k.check_id = c.check_id AND k.scope IS c.scope
            AND k.expression IS c.expression AND k.check_version IS c.check_version
        ORDER BY c.id""")
    left = conn.execute("SELECT (SELECT COUNT(*) FROM checks) - (SELECT COUNT(*) FROM check_results)"
                        ).fetchone()[0]
    if left:
        raise sqlite3.IntegrityError(f"migration 19: {left} checks rows found no kind")
    conn.execute("DROP TABLE checks")
    for stmt in _statements(M_CODED_CHECKS_VIEW):
        conn.execute(stmt)



# The body once (issue 16, docs/archive.md#version-documents): a version whose body is the
# report's body keeps no copy of it (archive/versiondoc.py lends it). Readers take documents
# from `version_documents`; before `reports.body_text` changes or its row goes, every version
# that lent the body gets it back, so a lent body is always the report's current one.
_BODY_BACK = f"""UPDATE report_versions SET document =
        json_remove(json_set(document, '$.body_text', old.body_text), '$.{versiondoc.LENT}')
    WHERE report_id = old.id AND json_valid(document) AND json_extract(document, '$.{versiondoc.LENT}') = 1;"""
M_BODY_ONCE = f"""
CREATE VIEW version_documents AS
SELECT v.id, v.report_id,
    CASE WHEN json_valid(v.document) AND json_extract(v.document, '$.{versiondoc.LENT}') = 1
        THEN json_remove(json_set(v.document, '$.body_text', r.body_text), '$.{versiondoc.LENT}')
        ELSE v.document END AS document
FROM report_versions v JOIN reports r ON r.id = v.report_id;
CREATE TRIGGER reports_body_back BEFORE UPDATE OF body_text ON reports
WHEN old.body_text IS NOT new.body_text BEGIN
    {_BODY_BACK}
END;
CREATE TRIGGER reports_body_back_delete BEFORE DELETE ON reports BEGIN
    {_BODY_BACK}
END;
"""


def _m_body_once(conn: sqlite3.Connection) -> None:
    """Migration 20: the view and triggers, then every report's versions lend their body."""
    for stmt in _statements(M_BODY_ONCE):
        conn.execute(stmt)
    versiondoc.lend(conn)



# 21: the LSH rows of X-COPY-OTHER keyed by (report, paragraph, band) WITHOUT ROWID: the table is
# the index by report that deleting a report's rows uses, and the bucket index carries the key
# (issue 16: 5.4 → 4.2 KB per report on the farm).
M_BANDS_WITHOUT_ROWID = """
CREATE TABLE paragraph_bands_keyed (
    report_id INTEGER NOT NULL, para_no INTEGER NOT NULL, band INTEGER NOT NULL,
    bucket INTEGER NOT NULL, PRIMARY KEY (report_id, para_no, band)) WITHOUT ROWID;
INSERT INTO paragraph_bands_keyed (report_id, para_no, band, bucket)
    SELECT report_id, para_no, band, bucket FROM paragraph_bands ORDER BY report_id, para_no, band;
DROP TABLE paragraph_bands;
ALTER TABLE paragraph_bands_keyed RENAME TO paragraph_bands;
CREATE INDEX idx_paragraph_bands_bucket ON paragraph_bands(band, bucket);
"""

# 22: the LSH rows keyed by (band, bucket, report, paragraph): the table is the bucket lookup
# itself and needs no index. A report's rows are deleted by their keys, which its paragraph
# signatures give (archive/checks/copies.py, `_drop_rows`): 2.3 KB less per report on the farm.
M_BANDS_BY_BUCKET = """
CREATE TABLE paragraph_bands_by_bucket (
    band INTEGER NOT NULL, bucket INTEGER NOT NULL, report_id INTEGER NOT NULL,
    para_no INTEGER NOT NULL, PRIMARY KEY (band, bucket, report_id, para_no)) WITHOUT ROWID;
INSERT INTO paragraph_bands_by_bucket (band, bucket, report_id, para_no)
    SELECT band, bucket, report_id, para_no FROM paragraph_bands ORDER BY band, bucket, report_id, para_no;
DROP TABLE paragraph_bands;
ALTER TABLE paragraph_bands_by_bucket RENAME TO paragraph_bands;
"""

# 23: a cell's locator as a printf form named once (`cell_locators`) and up to four numbers
# (archive/locators.py). The `cells` view prints it back with printf; archive/store.py writes the
# parts itself, and an INSERT into the view stores the whole locator as a literal form.
M_LOCATOR_TABLES = """
CREATE TABLE cell_locators (
    id INTEGER PRIMARY KEY,
    form TEXT NOT NULL UNIQUE
);
CREATE TABLE cell_values_located (
    version_id INTEGER NOT NULL REFERENCES report_versions(id),
    row_id INTEGER NOT NULL REFERENCES cell_rows(id),
    col_id INTEGER NOT NULL REFERENCES cell_cols(id),
    value REAL,
    raw TEXT,
    semantic INTEGER NOT NULL CHECK (semantic BETWEEN 0 AND 4),
    locator_id INTEGER REFERENCES cell_locators(id),
    loc1 INTEGER, loc2 INTEGER, loc3 INTEGER, loc4 INTEGER,
    capture_id INTEGER REFERENCES captures(id),   -- NULL: the version's own capture
    source TEXT,
    confidence REAL,
    PRIMARY KEY (version_id, row_id, col_id)
) WITHOUT ROWID;
"""
M_LOCATOR_VIEW = f"""
CREATE VIEW cells AS
SELECT v.report_id, cv.version_id, cv.row_id, cv.col_id, k.tbl, k.row_key, cc.col_key, cv.value,
    cv.raw, {_SEMANTIC_NAME.format(x="cv.semantic")} AS semantic,
    COALESCE(printf(lf.form, cv.loc1, cv.loc2, cv.loc3, cv.loc4), lf.form) AS locator,   -- printf('') is NULL
    COALESCE(cv.capture_id, v.capture_id) AS capture_id, cv.source, cv.confidence
FROM cell_values cv
JOIN cell_rows k ON k.id = cv.row_id
JOIN cell_cols cc ON cc.id = cv.col_id
JOIN report_versions v ON v.id = cv.version_id
LEFT JOIN cell_locators lf ON lf.id = cv.locator_id;
CREATE TRIGGER cells_insert INSTEAD OF INSERT ON cells BEGIN
    SELECT RAISE(ABORT, 'cells: tbl must be t2, t3 or t4') WHERE new.tbl NOT IN ('t2', 't3', 't4');
    SELECT RAISE(ABORT, 'cells: semantic must be NUMERIC, ZERO, EMPTY, NA or TEXT')
        WHERE {_SEMANTIC_CODE.format(x="new.semantic")} IS NULL;
    SELECT RAISE(ABORT, 'cells: report_id is not the version''s report')
        WHERE new.report_id IS NOT NULL
        AND new.report_id IS NOT (SELECT report_id FROM report_versions WHERE id = new.version_id);
    INSERT OR IGNORE INTO cell_rows (tbl, row_key) VALUES (new.tbl, new.row_key);
    INSERT OR IGNORE INTO cell_cols (col_key) VALUES (new.col_key);
    INSERT OR IGNORE INTO cell_locators (form)
        SELECT replace(new.locator, '%', '%%') WHERE new.locator IS NOT NULL;
    INSERT INTO cell_values (version_id, row_id, col_id, value, raw, semantic, locator_id, capture_id,
        source, confidence)
    VALUES (new.version_id,
        (SELECT id FROM cell_rows WHERE tbl = new.tbl AND row_key = new.row_key),
        (SELECT id FROM cell_cols WHERE col_key = new.col_key),
        new.value, new.raw, {_SEMANTIC_CODE.format(x="new.semantic")},
        (SELECT id FROM cell_locators WHERE form = replace(new.locator, '%', '%%')),
        NULLIF(new.capture_id, (SELECT capture_id FROM report_versions WHERE id = new.version_id)),
        new.source, new.confidence);
END;
"""


def _m_locator_forms(conn: sqlite3.Connection) -> None:
    """Migration 23: `cell_values` keeps each locator as a form id and its numbers; every row
    and every locator comes back through the `cells` view as it was."""
    from archive import locators
    conn.create_function("nianbao_locator_part", 2, lambda loc, k: locators.split(loc)[k], deterministic=True)
    for view in ("t2_wide", "t3_wide", "t4_wide", "cells"):
        conn.execute(f"DROP VIEW IF EXISTS {view}")
    for stmt in _statements(M_LOCATOR_TABLES):
        conn.execute(stmt)
    conn.execute("INSERT INTO cell_locators (form) SELECT nianbao_locator_part(locator, 0) FROM cell_values "
                 "WHERE locator IS NOT NULL GROUP BY 1 ORDER BY MIN(version_id)")
    conn.execute("""INSERT INTO cell_values_located (version_id, row_id, col_id, value, raw, semantic,
            locator_id, loc1, loc2, loc3, loc4, capture_id, source, confidence)
        SELECT cv.version_id, cv.row_id, cv.col_id, cv.value, cv.raw, cv.semantic, lf.id,
            nianbao_locator_part(cv.locator, 1), nianbao_locator_part(cv.locator, 2),
            nianbao_locator_part(cv.locator, 3), nianbao_locator_part(cv.locator, 4),
            cv.capture_id, cv.source, cv.confidence
        FROM cell_values cv LEFT JOIN cell_locators lf ON lf.form = nianbao_locator_part(cv.locator, 0)
        ORDER BY cv.version_id, cv.row_id, cv.col_id""")
    conn.execute("DROP TABLE cell_values")
    conn.execute("ALTER TABLE cell_values_located RENAME TO cell_values")
    conn.execute("CREATE INDEX idx_cell_values_key ON cell_values(row_id, col_id)")
    for stmt in _statements(M_LOCATOR_VIEW):
        conn.execute(stmt)
    for name, table, keys in (("t2_wide", "t2", canon.T2_COLS), ("t3_wide", "t3", canon.T3_COLS),
                              ("t4_wide", "t4", canon.T4_COLS)):
        conn.execute(_coded_wide_view(name, table, [k.key for k in keys]))


def _m_pass_details_derived(conn: sqlite3.Connection) -> None:
    """Migration 24: a current passing within-report check keeps only its kind and status
    (docs/checks.md#storage). Its details become NULL only where `archive.checks.fill_passes`,
    recomputing them from the same version, gives back exactly what is stored, so every row
    reads as before. `VACUUM` returns the freed pages."""
    from archive import checks
    ids = list(checks.TABLE_IDS)
    marks = ",".join("?" * len(ids))
    cols = ["id", "check_id", "scope", "expression", "check_version", "status", *checks.PASS_DETAILS]
    stored = " OR ".join(f"{c} IS NOT NULL" for c in checks.PASS_DETAILS)
    vids = [v for (v,) in conn.execute(
        f"SELECT DISTINCT version_id FROM checks WHERE status = 'pass' AND is_current = 1 "
        f"AND version_id IS NOT NULL AND check_version = ? AND check_id IN ({marks}) AND ({stored})",
        [checks.CHECKS_VERSION, *ids])]
    strip: list[tuple[int]] = []
    for vid in vids:
        rows = [dict(zip(cols, r)) for r in conn.execute(
            f"SELECT {', '.join(cols)} FROM checks WHERE version_id = ? AND status = 'pass' "
            f"AND is_current = 1 AND check_id IN ({marks}) ORDER BY id", [vid, *ids])]
        bare = [{**r, **dict.fromkeys(checks.PASS_DETAILS)} for r in rows]
        checks.fill_passes(conn, vid, bare)
        strip += [(r["id"],) for r, b in zip(rows, bare)
                  if r["check_version"] == checks.CHECKS_VERSION
                  and all(r[c] == b[c] for c in checks.PASS_DETAILS)]
        if len(strip) >= 10_000:
            _strip_passes(conn, strip)
            strip = []
    _strip_passes(conn, strip)


def _strip_passes(conn: sqlite3.Connection, ids: list[tuple[int]]) -> None:
    from archive import checks
    conn.executemany(f"UPDATE check_results SET {', '.join(f'{c} = NULL' for c in checks.PASS_DETAILS)} "
                     "WHERE id = ?", ids)


# Entries are SQL scripts or callables(conn) run inside the migration's transaction.
MIGRATIONS: list = [M1_TABLES + _views(), M2_IDENTITY_SEARCH, _m2_segment_existing, _m4_views(),
                    M5_CRAWL_TABLES, M6_FTS_TRIGGER, M7_DERIVE_QUEUE, _m8_off_scope, M9_MISSING_SINCE,
                    # 10: the wide views give whole numbers as integers (CSV, JSON, plain SQL)
                    _m4_views(whole_numbers=True),
                    # source health history and its latest-per-source view (issue 15)
                    M_SOURCE_HEALTH,
                    # the word index without jieba: contentless bigram FTS5 kept by triggers (issue 16)
                    _m_bigram_search,
                    # paragraph signatures, LSH bands and repetition rates for X-COPY-OTHER (issue 17)
                    M_COPIES,
                    # cells read by OCR say so, with the recogniser's confidence (docs/report-format.md#ocr)
                    M_CELL_SOURCE,
                    # 15: one search index: the bigram index finds every term length, reports_fts goes (issue 16)
                    _m_one_search_index,
                    # 16: passing sum checks keep no copy of their operands (issue 16)
                    _m_operands_by_definition,
                    # 17: version documents hold the body text once, sections as offsets (issue 16)
                    _m_sections_as_offsets,
                    # 18: cells keyed by (version, row, col) WITHOUT ROWID behind the `cells` view (issue 16)
                    _m_coded_cells,
                    # 19: checks as coded kinds behind the `checks` view (issue 16)
                    _m_coded_checks,
                    # 20: a version whose body is the report's keeps no copy of it (issue 16)
                    _m_body_once,
                    # 21: the X-COPY-OTHER LSH rows WITHOUT ROWID, one index fewer (issue 16)
                    M_BANDS_WITHOUT_ROWID,
                    # 22: the LSH rows keyed by bucket, no index at all (issue 16)
                    M_BANDS_BY_BUCKET,
                    # 23: cell locators as a printf form and numbers (issue 16)
                    _m_locator_forms,
                    # 24: passing within-report checks keep no details, recomputed when shown (issue 16)
                    _m_pass_details_derived]


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                 "applied_at TEXT NOT NULL DEFAULT (datetime('now')))")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def _statements(script: str):
    """Split a script into complete statements (CREATE TRIGGER … END; stays whole)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()):
        raise ValueError(f"incomplete SQL statement in migration: {buf[:200]!r}")


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the file's version; returns the new version.

    Each migration runs in its own write transaction and re-reads the version inside it, so
    several processes opening a fresh archive at once apply each migration exactly once.
    """
    have = current_version(conn)
    for number, step in enumerate(MIGRATIONS, start=1):
        if number <= have:
            continue
        with transaction(conn):
            if current_version(conn) >= number:  # another process got there first
                continue
            if callable(step):
                step(conn)
            else:
                for stmt in _statements(step):
                    conn.execute(stmt)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", [number])
    return len(MIGRATIONS)


def _wal(conn: sqlite3.Connection) -> None:
    """PRAGMA journal_mode=WAL, waiting while another process holds the file exclusively (it
    checkpoints its WAL as it closes): SQLite answers that with "database is locked" at once,
    without calling the busy handler."""
    for attempt in range(100):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 99:
                raise
            time.sleep(0.05)


def open_db(path: str | Path, readonly: bool = False, check_same_thread: bool = True) -> sqlite_utils.Database:
    """Open (creating and migrating) the archive at `path` with WAL and foreign keys on.
    `check_same_thread=False`: a connection shared by threads (archive.writer.WriterThread)."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        return sqlite_utils.Database(conn)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=check_same_thread)
    _wal(conn)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    from archive import search  # the word index's triggers call nianbao_bigrams()
    search.register(conn)
    migrate(conn)
    return sqlite_utils.Database(conn)
