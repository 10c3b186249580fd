"""Full-text search over report titles and bodies that works for Chinese, without a segmenter.

Two FTS5 indexes, rowid = reports.id, both kept in sync with `reports` by triggers (so a report
is searchable in the transaction that stores it, and nothing is derived later):

- `reports_fts(title, body_text)`, tokenizer `trigram`, external content on `reports`. Exact
  substrings of three or more characters (不予公开, 行政复议, 2023年). Trigram cannot match
  anything shorter than three characters, and fails silently.
- `reports_seg(title, body_text)`: a contentless (`content=''`, nothing of the text is stored)
  index of the overlapping two-character pieces of every run of word characters (CJK, letters,
  digits): 行政复议 is indexed as 行政 政复 复议. A two-character word (复议, 公开) is one token, and
  a token is present only where those two characters stand side by side in the text, so a hit
  needs no re-check for CJK (ASCII letters are case-folded by unicode61: `search` re-checks those).
  Positions are kept (`detail=full`): bm25 ranks by how often a word occurs. The pieces come
  from `bigrams()`, registered as the SQL function `nianbao_bigrams` on every
  connection that writes (archive.schema.open_db); the triggers call it, also to delete the
  old pieces of a changed row, so `bigrams()` must never change without rebuilding the index.

`search(db, query)` picks the index by term length: terms of >= 3 characters go to the trigram
index, two-character terms to the bigram index, one character to a scan (still exact).

SQL for a Datasette canned query (parameter :q, one term):

    SELECT r.id, r.agency, r.report_year, r.title, r.url
    FROM reports r
    WHERE (length(:q) >= 3 AND r.id IN (
              SELECT rowid FROM reports_fts WHERE reports_fts MATCH '"' || replace(:q, '"', '""') || '"'))
       OR (length(:q) = 2 AND r.id IN (
              SELECT rowid FROM reports_seg WHERE reports_seg MATCH '"' || replace(:q, '"', '""') || '"')
           AND (instr(r.title, :q) > 0 OR instr(r.body_text, :q) > 0))
    ORDER BY r.report_year DESC, r.id

(`MATCH` inside an `OR` must sit in an `IN (SELECT …)`; SQLite refuses it as a bare term.)
"""
from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

# Overlapping pairs of word characters, found by the regex engine in C (no Python loop).
_PAIRS = re.compile(r"(?=(\w\w))")
_WORD2 = re.compile(r"\w\w")
# Characters unicode61 folds (letters with case or diacritics): a hit on those is re-checked.
_FOLDS = re.compile(r"[^\u3400-\u9fff\uf900-\ufaff0-9]")
SQL_FUNCTION = "nianbao_bigrams"


def bigrams(text: str | None) -> str:
    """The two-character pieces of every run of word characters in `text`, joined by spaces:
    `2023年度报告` → `20 02 23 3年 年度 度报 报告`. The tokens of `reports_seg`."""
    if not text:
        return ""
    return " ".join(_PAIRS.findall(text))


def register(conn: sqlite3.Connection) -> None:
    """Make `nianbao_bigrams(text)` available on `conn` (its triggers call it)."""
    conn.create_function(SQL_FUNCTION, 1, bigrams, deterministic=True)


def segment(text: str | None) -> str:
    """Kept for callers of the jieba era: the tokens of the word index are now `bigrams`."""
    return bigrams(text)


def write_segments(conn: sqlite3.Connection, report_id: int, title: str | None,
                   body: str | None) -> None:
    """No-op: the word index follows `reports` by its triggers (the bigram migration in archive/schema.py). Kept so that
    code written for the derived jieba index still runs."""


def rebuild(conn: sqlite3.Connection) -> None:
    """Rebuild both indexes from `reports` (after bulk loads that bypassed the triggers)."""
    register(conn)
    conn.execute("INSERT INTO reports_fts (reports_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO reports_seg (reports_seg) VALUES ('delete-all')")
    conn.execute(f"INSERT INTO reports_seg (rowid, title, body_text) SELECT id, {SQL_FUNCTION}(title), "
                 f"{SQL_FUNCTION}(body_text) FROM reports")


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _ids_for_term(conn: sqlite3.Connection, term: str) -> set[int]:
    if len(term) >= 3:
        return {r[0] for r in conn.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?",
                                           [_phrase(term)])}
    if not _WORD2.fullmatch(term):
        # One character, or two that are not both word characters: no token; a scan (exact).
        return {r[0] for r in conn.execute(
            "SELECT id FROM reports WHERE instr(title, ?) > 0 OR instr(body_text, ?) > 0",
            [term, term])}
    candidates = {r[0] for r in conn.execute(
        "SELECT rowid FROM reports_seg WHERE reports_seg MATCH ?", [_phrase(term)])}
    if not candidates or not _FOLDS.search(term):
        return candidates   # a CJK/digit token is present only where the text has it
    # Letters: unicode61 folded case and diacritics; keep the exact hits.
    marks = ",".join("?" * len(candidates))
    return {r[0] for r in conn.execute(
        f"SELECT id FROM reports WHERE id IN ({marks}) AND "
        "(instr(title, ?) > 0 OR instr(body_text, ?) > 0)", [*candidates, term, term])}


def search(db, query: str, limit: int | None = None) -> list[dict]:
    """Reports whose title or body contains every whitespace-separated term of `query`.

    Returns dicts (id, agency, report_year, title, url), newest report year first.
    `db` is a sqlite_utils.Database or a sqlite3.Connection.
    """
    conn = getattr(db, "conn", db)
    terms = [t for t in (query or "").split() if t]
    if not terms:
        return []
    ids: set[int] | None = None
    for term in terms:
        found = _ids_for_term(conn, term)
        ids = found if ids is None else ids & found
        if not ids:
            return []
    marks = ",".join("?" * len(ids))
    sql = (f"SELECT id, agency, report_year, title, url FROM reports WHERE id IN ({marks}) "
           "ORDER BY report_year DESC, id" + (f" LIMIT {int(limit)}" if limit else ""))
    cur = conn.execute(sql, sorted(ids))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------- snippets
# A hit inside the statistics tables (行政复议 is a column header of table 四, 不予公开 a row
# of table 三) says nothing about the report: snippets come from the narrative only.
_TABLE_ROW = re.compile(r"\|")
_CLAUSE = re.compile(r"第[一二三四五六七八九十]+条\s*第?\s*[（(][一二三四五六七八九十]+[)）]\s*项")
_FILLER = re.compile(r"[\s\d.,，、:：;；()（）%/／\-—|“”\"'·…]+")


@lru_cache(maxsize=1)
def _label_pattern() -> re.Pattern:
    from nianbao import canon
    labels: set[str] = set(canon.TABLE_TITLES.values()) | set(canon.T3_GROUPS.values())
    labels |= {canon.T2_HEADER_LABEL, canon.T3_COL_GROUP_LEGAL, canon.T3_BALANCE_NOTE,
               canon.T4_ROW_GROUP_LITIGATION, *canon.T3_HEADER_LABELS, *canon.T3_SUBTOTAL_LABELS}
    labels |= {s.label for s in canon.SECTIONS}
    for keys in (*canon.ROWS.values(), *canon.COLS.values()):
        for k in keys:
            labels.update(k.labels())
            if k.group:
                labels.add(k.group)
    keys = {canon.label_key(x) for x in labels} | {canon.label_key(x, keep_numbering=True)
                                                    for x in labels}
    keys = sorted((k for k in keys if k), key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys))


def is_boilerplate(line: str) -> bool:
    """True for a line of the statistics tables or a bare heading: a table row (`a | b`), or
    a line that is nothing but official labels, clause numbers and figures."""
    if _TABLE_ROW.search(line):
        return True
    from nianbao import canon
    rest = _label_pattern().sub("", canon.label_key(_CLAUSE.sub("", line), keep_numbering=True))
    rest = _FILLER.sub("", rest)
    rest = re.sub(r"^[一二三四五六七八九十]+", "", rest)
    return len(rest) < 4


def snippets(text: str | None, terms: list[str], width: int = 40, most: int = 2,
             scan: int = 200) -> list[list[tuple[str, bool]]]:
    """Up to `most` passages of `text` around hits of the terms, as pieces (text, is_hit),
    taken from narrative lines only (see is_boilerplate). At most `scan` hits are looked at,
    so a word repeated through a huge body costs little."""
    text = text or ""
    terms = [t for t in terms if t]
    if not text or not terms:
        return []
    hit = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    out: list[list[tuple[str, bool]]] = []
    last_end = -1
    for n, m in enumerate(hit.finditer(text)):
        if n >= scan or len(out) >= most:
            break
        if m.start() < last_end:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        if is_boilerplate(text[line_start:line_end]):
            continue
        start = max(line_start, m.start() - width)
        end = min(line_end, m.end() + width)
        pieces: list[tuple[str, bool]] = [("…" if start > line_start else "", False)]
        pos = start
        for h in hit.finditer(text, start, end):
            pieces += [(text[pos:h.start()], False), (h.group(), True)]
            pos = h.end()
        pieces.append((text[pos:end] + ("…" if end < line_end else ""), False))
        out.append([p for p in pieces if p[0]])
        last_end = end
    return out
