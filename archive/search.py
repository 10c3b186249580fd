"""Full-text search over report titles and bodies that works for Chinese, without a segmenter.

One FTS5 index, `reports_seg(title, body_text)`, rowid = reports.id, kept in sync with `reports`
by triggers (so a report is searchable in the transaction that stores it). It is contentless
(`content=''`: nothing of the text is stored) and indexes one piece per word character (CJK,
letters, digits): the character with the next one when that is a word character too, else the
character alone. 行政复议。 is indexed as 行政 政复 复议 议. Positions are kept (`detail=full`), so
bm25 ranks by how often a term occurs, and a term is looked up as the phrase of its pieces:

- two characters or more (复议, 行政复议, 2023年): the phrase of its two-character pieces. Two
  two-character pieces stand at consecutive positions only inside one run of word characters
  (a run ends with its one-character piece), so the phrase matches exactly where the term is a
  substring of the text;
- one character (复): the prefix query `"复"*`, every piece that starts with it (every word
  character starts one piece);
- a term with punctuation inside (第1.2条) is the phrase of the pieces of its runs, one-character
  pieces included where a run ends inside the term.

A hit needs no re-check when the term is made of CJK ideographs and ASCII digits only (`exact`):
other terms are re-checked with `instr` on the text (unicode61 folds the case of letters, and
the phrase does not see which punctuation stands between two runs). A term without any letter,
digit or ideograph (%, ——) has no piece: `search` scans for it (still exact).

The pieces come from `bigrams()`, registered as the SQL function `nianbao_bigrams` on every
connection that writes (archive.schema.open_db); the triggers call it, also to delete the old
pieces of a changed row, so `bigrams()` must never change without rebuilding the index (as
migration 15 did). `register` also adds `nianbao_match(term)` (the FTS5 query of a term, NULL
when it has no piece) and `nianbao_exact(term)` for SQL such as Datasette's canned query
(parameter :q, one term):

    SELECT r.id, r.agency, r.report_year, r.title, r.url
    FROM reports r
    WHERE :q != '' AND CASE WHEN nianbao_match(:q) IS NULL
          THEN instr(r.title, :q) > 0 OR instr(r.body_text, :q) > 0
          ELSE r.id IN (SELECT rowid FROM reports_seg WHERE reports_seg MATCH nianbao_match(:q))
               AND (nianbao_exact(:q) OR instr(r.title, :q) > 0 OR instr(r.body_text, :q) > 0) END
    ORDER BY r.report_year DESC, r.id

(`MATCH` inside a `CASE` or an `OR` must sit in an `IN (SELECT …)`; SQLite refuses it as a bare term.)
"""
from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

# One piece per word character, found by the regex engine in C (no Python loop).
_PIECES = re.compile(r"(?=(\w\w?))")
_WORD = re.compile(r"\w")
_HAS_TOKEN = re.compile(r"[^\W_]")
# Terms found exactly by the index: CJK ideographs that unicode61's Unicode 6.1 tables know and
# ASCII digits (nothing there is case-folded or treated as a separator).
_EXACT = re.compile(r"[\u3400-\u4db5\u4e00-\u9fcc\uf900-\ufad90-9]+")
SQL_FUNCTION = "nianbao_bigrams"


def bigrams(text: str | None) -> str:
    """The pieces of `text`, joined by spaces: each word character with the next one when that
    is a word character too, else alone. `2023年度报告，复议` → `20 02 23 3年 年度 度报 报告 告 复议 议`.
    The tokens of `reports_seg`."""
    if not text:
        return ""
    return " ".join(_PIECES.findall(text))


def match_expr(term: str) -> str | None:
    """The FTS5 query that finds `term` in `reports_seg` (see the module docstring), or None when
    the term has no piece. `复议` → `"复议"`, `行政复议` → `"行政 政复 复议"`, `复` → `"复"*`."""
    if not term or not _HAS_TOKEN.search(term):
        return None
    pieces = [(m.start(), m.group(1)) for m in _PIECES.finditer(term)]
    prefix = False
    last = len(term) - 1
    if pieces and pieces[-1][0] == last:
        # The term's last character: in the text it may be followed by anything. Known already
        # from the piece before it, or else asked as a prefix.
        if last > 0 and _WORD.match(term[last - 1]):
            pieces.pop()
        else:
            prefix = True
    return '"' + " ".join(p for _, p in pieces) + '"' + ("*" if prefix else "")


def exact(term: str) -> bool:
    """True when the index's answer for `term` needs no re-check against the text."""
    return bool(_EXACT.fullmatch(term or ""))


def register(conn: sqlite3.Connection) -> None:
    """Make `nianbao_bigrams(text)` (the triggers call it), `nianbao_match(term)` and
    `nianbao_exact(term)` available on `conn`."""
    conn.create_function(SQL_FUNCTION, 1, bigrams, deterministic=True)
    conn.create_function("nianbao_match", 1, lambda t: match_expr(t) if isinstance(t, str) else None,
                         deterministic=True)
    conn.create_function("nianbao_exact", 1, lambda t: int(isinstance(t, str) and exact(t)),
                         deterministic=True)


def segment(text: str | None) -> str:
    """Kept for callers of the jieba era: the tokens of the word index are now `bigrams`."""
    return bigrams(text)


def write_segments(conn: sqlite3.Connection, report_id: int, title: str | None,
                   body: str | None) -> None:
    """No-op: the word index follows `reports` by its triggers (the bigram migration in archive/schema.py). Kept so that
    code written for the derived jieba index still runs."""


def rebuild(conn: sqlite3.Connection) -> None:
    """Rebuild the index from `reports` (after bulk loads that bypassed the triggers)."""
    register(conn)
    conn.execute("INSERT INTO reports_seg (reports_seg) VALUES ('delete-all')")
    conn.execute(f"INSERT INTO reports_seg (rowid, title, body_text) SELECT id, {SQL_FUNCTION}(title), "
                 f"{SQL_FUNCTION}(body_text) FROM reports")


def _scan(conn: sqlite3.Connection, term: str, ids: list[int] | None = None) -> set[int]:
    """Ids of reports (among `ids`, or all) whose title or body contains `term` (instr)."""
    test = "(instr(title, ?) > 0 OR instr(body_text, ?) > 0)"
    if ids is None:
        return {r[0] for r in conn.execute(f"SELECT id FROM reports WHERE {test}", [term, term])}
    found: set[int] = set()
    for i in range(0, len(ids), 30000):   # under SQLite's host-parameter limit
        part = ids[i:i + 30000]
        found |= {r[0] for r in conn.execute(
            f"SELECT id FROM reports WHERE id IN ({','.join('?' * len(part))}) AND {test}",
            [*part, term, term])}
    return found


def _ids_for_term(conn: sqlite3.Connection, term: str) -> set[int]:
    expr = match_expr(term)
    if expr is None:
        return _scan(conn, term)   # no letter, digit or ideograph: no piece to look up
    candidates = {r[0] for r in conn.execute(
        "SELECT rowid FROM reports_seg WHERE reports_seg MATCH ?", [expr])}
    if not candidates or exact(term):
        return candidates
    # Letters (case-folded by the index) or punctuation between runs: keep the exact hits.
    return _scan(conn, term, sorted(candidates))


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
