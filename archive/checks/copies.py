"""X-COPY-OTHER: paragraphs a report shares, near word for word, with a report of a DIFFERENT
agency; and the repetition rates against the agency's own previous year (`copy_stats`).

Paragraphs are the body text's lines, normalised (Simplified, NFKC, no spaces or punctuation,
every number a single 0) and kept when at least MIN_CHARS long. Each gets a MinHash signature
(datasketch) over its 4-character shingles. The LSH index is persisted in SQLite:
`paragraph_bands` holds one row per (band, bucket) of every indexed paragraph, with the banding
(b, r) datasketch's MinHashLSH chooses for FAMILY, so finding candidates is an indexed lookup and
indexing a report touches only its own rows (incremental; nothing is rebuilt).

Boilerplate is left out by document frequency: a paragraph of which BOILERPLATE_AGENCIES or more
distinct agencies print a version (similarity ≥ FAMILY: the same model with names and details
filled in) is the official template, a statute or a circulated model text, not a copy. A copy is
a paragraph another agency prints near word for word (similarity ≥ THRESHOLD). Paragraphs with
a template marker (the standard opening and closing sentences) are left out even in an archive
too small for frequencies to tell.

Only primary reports (not editions) take part; the agency is the resolved agency key with its
hand-made aliases (archive/checks/cross_year.py), so a renamed agency never copies itself.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from archive.checks.cross_year import agency_group, same_agency_reports
from archive.checks.tables import _result
from pipelines.extract.decode import for_matching

CHECK_ID = "X-COPY-OTHER"
THRESHOLD = 0.7            # estimated Jaccard similarity of shingle sets for "the same paragraph"
FAMILY = 0.5               # "the same model paragraph" (names and details filled in): counts for boilerplate
NUM_PERM = 64
SHINGLE = 4
MIN_CHARS = 50             # normalised characters: shorter lines are headings and formulae
BOILERPLATE_AGENCIES = 3   # printed by this many agencies or more: template, not a copy
CANDIDATES = 200           # candidate paragraphs read per paragraph (bounds template lookups)
SHOWN = 5                  # shared paragraphs quoted per other report
TEMPLATE_MARKERS = tuple(for_matching(s) for s in (
    "本报告根据《中华人民共和国政府信息公开条例》", "本报告由总体情况", "本报告中所列数据的统计期限",
    "本报告所列数据的统计期限", "如对本报告有任何疑问", "如对本年度报告有疑问", "本年度报告的电子版",
    "本报告电子版", "依据《中华人民共和国政府信息公开条例》规定", "中华人民共和国政府信息公开工作年度报告格式"))

_DROP = re.compile(r"[\W_]+", re.UNICODE)


# (b, r) that datasketch's MinHashLSH(threshold, num_perm) chooses, for the parameters in use:
# asking it imports scipy (~45 MB in the crawl's process) to integrate the error curves.
_KNOWN_BANDS = {(0.5, 64): (14, 4)}


@lru_cache(maxsize=1)
def _bands() -> tuple[int, int]:
    if (FAMILY, NUM_PERM) in _KNOWN_BANDS:
        return _KNOWN_BANDS[(FAMILY, NUM_PERM)]
    from datasketch import MinHashLSH
    lsh = MinHashLSH(threshold=FAMILY, num_perm=NUM_PERM)   # candidates for both thresholds
    return lsh.b, lsh.r


@lru_cache(maxsize=1)
def _empty_minhash():
    """An empty MinHash(num_perm=NUM_PERM) to copy (its permutations are drawn once, not per
    paragraph). datasketch's package __init__ imports its LSH classes and with them scipy: when
    datasketch is not loaded yet, its minhash module is loaded alone."""
    import importlib.util
    import sys
    if "datasketch" not in sys.modules:
        spec = importlib.util.find_spec("datasketch")
        stub = importlib.util.module_from_spec(spec)   # the package, its __init__ not run
        sys.modules["datasketch"] = stub
        try:
            import datasketch.minhash  # noqa: F401
        finally:   # a later `import datasketch` runs the real __init__ (reusing datasketch.minhash)
            if sys.modules.get("datasketch") is stub:
                del sys.modules["datasketch"]
    from datasketch.minhash import MinHash
    return MinHash(num_perm=NUM_PERM)


_NUMERALS = re.compile(r"[0-9零〇一二两三四五六七八九十百千万亿.]+")


def normalise(line: str) -> str:
    # Every number (Arabic or Chinese) becomes one 0: a model paragraph filled in with each
    # agency's own figures stays one paragraph, so its document frequency shows it is a model.
    return _NUMERALS.sub("0", _DROP.sub("", for_matching(line)))


def is_template(line: str) -> bool:
    t = for_matching(line).replace(" ", "")
    return any(m.replace(" ", "") in t for m in TEMPLATE_MARKERS)


def paragraphs(body: str | None) -> list[tuple[int, str, str]]:
    """(number, printed line, normalised) of the body's candidate paragraphs. Table rows (pipes)
    and template sentences are not candidates."""
    out = []
    for i, line in enumerate((body or "").splitlines()):
        if "|" in line or is_template(line):
            continue
        norm = normalise(line)
        if len(norm) >= MIN_CHARS:
            out.append((i, line.strip(), norm))
    return out


def signature(norm: str) -> np.ndarray:
    m = _empty_minhash().copy()
    m.update_batch([norm[i:i + SHINGLE].encode() for i in range(max(1, len(norm) - SHINGLE + 1))])
    return m.hashvalues.astype(np.uint32)


def _band_keys(sig: np.ndarray) -> list[int]:
    b, r = _bands()
    return [int.from_bytes(hashlib.blake2b(sig[i * r:(i + 1) * r].tobytes(), digest_size=8).digest(),
                           "big", signed=True) for i in range(b)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def _sig(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.uint32)


def _has_tables(conn) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'paragraph_sigs'").fetchone() is not None


# ------------------------------------------------------------------ the index
def _wanted(conn, report_id: int):
    row = conn.execute("SELECT current_version_id, edition_of, body_text FROM reports WHERE id = ?",
                       [report_id]).fetchone()
    return row, (None if row is None or row[1] is not None else row[0])


def stale(conn, report_id: int) -> bool:
    """The report's index rows are not those of its current version (or it left the index)."""
    if not _has_tables(conn):
        return False
    indexed = conn.execute("SELECT version_id FROM copy_index_state WHERE report_id = ?", [report_id]).fetchone()
    return indexed is None or indexed[0] != _wanted(conn, report_id)[1]


def index_report(conn, report_id: int) -> bool:
    """(Re)index the report's paragraphs for its current version; True if anything changed.
    Editions and reports without a current version are removed from the index."""
    if not _has_tables(conn):
        return False
    row, want = _wanted(conn, report_id)
    indexed = conn.execute("SELECT version_id FROM copy_index_state WHERE report_id = ?", [report_id]).fetchone()
    if indexed is not None and indexed[0] == want:
        return False
    conn.execute("INSERT INTO copy_index_state (report_id, version_id) VALUES (?, 1) ON CONFLICT(report_id) "
                 "DO UPDATE SET version_id = version_id + 1", [GENERATION_ROW])
    _drop_rows(conn, report_id)
    conn.execute("INSERT INTO copy_index_state (report_id, version_id) VALUES (?, ?) "
                 "ON CONFLICT(report_id) DO UPDATE SET version_id = excluded.version_id", [report_id, want])
    if want is None:
        return True
    sigs, bands = [], []
    for no, _line, norm in paragraphs(row[2]):
        sig = signature(norm)
        sigs.append((report_id, want, no, len(norm), sig.tobytes()))
        bands += [(band, key, report_id, no) for band, key in enumerate(_band_keys(sig))]
    conn.executemany("INSERT INTO paragraph_sigs (report_id, version_id, para_no, chars, minhash) "
                     "VALUES (?, ?, ?, ?, ?)", sigs)
    conn.executemany("INSERT INTO paragraph_bands (band, bucket, report_id, para_no) VALUES (?, ?, ?, ?)", bands)
    return True


def _drop_rows(conn, report_id: int) -> None:
    """Delete the report's signatures and LSH rows. paragraph_bands is keyed by (band, bucket,
    report, paragraph) with no index by report (schema migration 22): its rows are found by the
    keys their signatures give, the way they were written."""
    keys = [(band, key, report_id, no)
            for no, blob in conn.execute("SELECT para_no, minhash FROM paragraph_sigs WHERE report_id = ?",
                                         [report_id])
            for band, key in enumerate(_band_keys(_sig(blob)))]
    conn.executemany("DELETE FROM paragraph_bands WHERE band = ? AND bucket = ? AND report_id = ? "
                     "AND para_no = ?", keys)
    conn.execute("DELETE FROM paragraph_sigs WHERE report_id = ?", [report_id])


_MEMO: dict = {}   # (archive file, index generation, report, paragraph) → matches
GENERATION_ROW = 0  # copy_index_state row 0 counts the index's changes (report ids start at 1)
_MEMO_INDEX: tuple = ()   # (archive file, generation) of the entries in _MEMO


def _memo_key(conn, report_id: int, no: int) -> tuple:
    # Any connection that changes the index bumps the generation in the file itself, so a memo
    # entry never outlives the index it was read from, whichever process wrote.
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    gen = conn.execute("SELECT version_id FROM copy_index_state WHERE report_id = ?", [GENERATION_ROW]).fetchone()
    return (path or id(conn), gen[0] if gen else 0, report_id, no)


def _matches(conn, report_id: int, no: int, sig: np.ndarray) -> list[tuple[int, int, float]]:
    """Other reports' paragraphs (report_id, para_no, similarity) of the same family (≥ FAMILY).
    The check, its neighbours and the other side of a pair ask for the same paragraphs within one
    derive: the answers are memoised until the index changes."""
    key = _memo_key(conn, report_id, no)
    if key in _MEMO:
        return _MEMO[key]
    global _MEMO_INDEX
    if key[:2] != _MEMO_INDEX:   # entries of an older index generation can never be asked again
        _MEMO.clear()
        _MEMO_INDEX = key[:2]
    keys = _band_keys(sig)
    rows = conn.execute(
        "SELECT s.report_id, s.para_no, s.minhash FROM paragraph_sigs s JOIN ("
        "SELECT DISTINCT report_id, para_no FROM paragraph_bands WHERE report_id != ? AND ("
        + " OR ".join("(band = ? AND bucket = ?)" for _ in keys) + f") LIMIT {CANDIDATES}) c "
        "ON c.report_id = s.report_id AND c.para_no = s.para_no",
        [report_id, *[x for i, k in enumerate(keys) for x in (i, k)]]).fetchall()
    out = [(rid, pno, sim) for (rid, pno, _), sim in zip(rows, _similarities(sig, [b for _, _, b in rows]))
           if sim >= FAMILY]
    if len(_MEMO) > 100_000:
        _MEMO.clear()
    _MEMO[key] = out
    return out


def _similarities(sig: np.ndarray, blobs: list[bytes]) -> list[float]:
    """`similarity(sig, _sig(b))` for each blob, in one array comparison (the candidates of a
    paragraph number up to CANDIDATES; one by one they were a third of a large crawl's derive)."""
    width = sig.nbytes
    if not blobs or any(len(b) != width for b in blobs):
        return [similarity(sig, _sig(b)) for b in blobs]
    equal = np.count_nonzero(np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), -1) == sig,
                             axis=1)
    return [float(n) / len(sig) for n in equal.tolist()]


def _agencies_reach(conn, rids, cache: dict, start: set) -> bool:
    """Whether `start` and the agencies of `rids` make BOILERPLATE_AGENCIES distinct agencies
    (stops looking agencies up once they do)."""
    seen = set(start)
    if len(seen) >= BOILERPLATE_AGENCIES:
        return True
    for rid in rids:
        seen.add(cache[rid] if rid in cache else _agency(conn, rid, cache))
        if len(seen) >= BOILERPLATE_AGENCIES:
            return True
    return False


def _agency(conn, rid: int, cache: dict) -> str:
    if rid not in cache:
        row = conn.execute("SELECT agency_key, agency FROM reports WHERE id = ?", [rid]).fetchone()
        key = (row[0] or row[1] or f"report {rid}") if row else f"report {rid}"
        group = agency_group(conn, row[0]) if row and row[0] else [key]
        cache[rid] = min(group) if group else key   # one name per alias group
    return cache[rid]


def shared_paragraphs(conn, report_id: int) -> tuple[dict[int, list[tuple[int, int]]], int, int]:
    """{other report: [(my para_no, its para_no)]} for paragraphs shared with other agencies only
    (boilerplate left out), how many paragraphs were candidates, and how many were boilerplate."""
    agencies: dict = {}
    me = _agency(conn, report_id, agencies)
    shared: dict[int, list[tuple[int, int]]] = {}
    rows = conn.execute("SELECT para_no, minhash FROM paragraph_sigs WHERE report_id = ? ORDER BY para_no",
                        [report_id]).fetchall()
    boiler = 0

    for no, blob in rows:
        found = _matches(conn, report_id, no, _sig(blob))
        if _agencies_reach(conn, (rid for rid, _, _ in found), agencies, {me}):
            boiler += 1
            continue
        # Judged from this paragraph's own family only: the verdict is then a function of the
        # paragraphs within one step of the report's own, which `neighbours` re-evaluates when
        # they change, so it never depends on the order in which reports arrived.
        for rid, pno, sim in found:
            if sim >= THRESHOLD and _agency(conn, rid, agencies) != me:
                shared.setdefault(rid, []).append((no, pno))
    return shared, len(rows), boiler


def neighbours(conn, report_id: int, batch=frozenset()) -> set[int]:
    """Reports whose X-COPY-OTHER may change when this one (and the rest of its `batch`) enters or
    leaves the index: those with a paragraph x in the family of one of its paragraphs (similarity
    is symmetric) whose own family, without the batch, is not boilerplate — only then can x's
    verdict change."""
    out: set[int] = set()
    if not _has_tables(conn):
        return out
    agencies: dict = {}
    batch = set(batch) | {report_id}
    for no, blob in conn.execute("SELECT para_no, minhash FROM paragraph_sigs WHERE report_id = ?",
                                 [report_id]).fetchall():
        found = _matches(conn, report_id, no, _sig(blob))
        for rid, pno, sim in found:
            if rid in out:
                continue
            # The estimated distance (share of unequal MinHash values) is a Hamming distance, so
            # the triangle inequality holds for it: the members of this family close enough to
            # both are in x's family too. When they alone make it boilerplate, no query is needed.
            # (Collected only until it is boilerplate: the rest cannot change the verdict.)
            sure = {agencies[rid] if rid in agencies else _agency(conn, rid, agencies)}
            d, limit = 1 - sim, 1 - FAMILY
            for o, op, s2 in found:
                if d + (1 - s2) <= limit and o not in batch and (o != rid or op != pno):
                    sure.add(agencies[o] if o in agencies else _agency(conn, o, agencies))
                    if len(sure) >= BOILERPLATE_AGENCIES:
                        break
            if len(sure) >= BOILERPLATE_AGENCIES:
                continue
            theirs = _sig_of(conn, rid, pno)
            if not _agencies_reach(conn, (o for o, _, _ in _matches(conn, rid, pno, theirs) if o not in batch),
                                   agencies, {_agency(conn, rid, agencies)}):
                out.add(rid)
    return out


def _sig_of(conn, rid: int, pno: int) -> np.ndarray:
    return _sig(conn.execute("SELECT minhash FROM paragraph_sigs WHERE report_id = ? AND para_no = ?",
                             [rid, pno]).fetchone()[0])


# ------------------------------------------------------------------ the check
def _lines(conn, rid: int) -> list[str]:
    row = conn.execute("SELECT body_text FROM reports WHERE id = ?", [rid]).fetchone()
    return (row[0] or "").splitlines() if row else []


def refresh(conn, report_id: int) -> list[dict]:
    """The X-COPY-OTHER results of the report, with its `copy_stats` row written."""
    results = run(conn, report_id)
    copied = {no for res in results if res["status"] == "warn"
              for pairs in res["cells"].values() for no in (int(p.split("~")[0]) for p in pairs.split(","))}
    write_stats(conn, report_id, len(copied) if results else None)
    return results


def run(conn, report_id: int) -> list[dict]:
    if not _has_tables(conn):
        return []
    r = conn.execute("SELECT edition_of, current_version_id FROM reports WHERE id = ?", [report_id]).fetchone()
    if r is None or r[1] is None or r[0] is not None:
        return []
    expr = "no paragraph shared with another agency's report (boilerplate excluded)"
    shared, n, boiler = shared_paragraphs(conn, report_id)
    if n == 0:
        return [_result(CHECK_ID, "not_assessable", "text", expr, detail="正文没有足够长的段落可比较")]
    if not shared:
        return [_result(CHECK_ID, "pass", "text", expr, 0, 0, 0,
                        f"比较 {n} 段，其中 {boiler} 段为通用模板（至少 {BOILERPLATE_AGENCIES} 个机构印有同类段落），"
                        "未发现与其他机构报告近乎相同的段落")]
    mine = _lines(conn, report_id)
    out = []
    for other in sorted(shared, key=lambda o: (-len(shared[o]), o)):
        pairs = sorted(set(shared[other]))
        row = conn.execute("SELECT agency, report_year, url FROM reports WHERE id = ?", [other]).fetchone()
        quoted = "；".join(f"“{mine[no][:80]}{'…' if len(mine[no]) > 80 else ''}”" for no, _ in pairs[:SHOWN]
                          if no < len(mine))
        out.append(_result(
            CHECK_ID, "warn", f"text ~ report {other}", expr, 0, len(pairs), len(pairs),
            f"与报告 {other}（{row[0] or '未知机构'} {row[1] or ''}年，{row[2]}）有 {len(pairs)} 段近乎相同：{quoted}",
            {f"report:{other}": ",".join(f"{a}~{b}" for a, b in pairs)}))
    return out


# ------------------------------------------------------------------ repetition vs last year
def repetition(conn, report_id: int) -> dict | None:
    """Text and table repetition rates against the same agency's previous year (None when there
    is none): text = share of this year's paragraph characters whose paragraph is near-identical
    (THRESHOLD) to one of last year's; tables = share of this year's non-zero numbers equal to last
    year's number in the same cell (cells printed in both years)."""
    r = conn.execute("SELECT agency_key, report_year, current_version_id, edition_of FROM reports WHERE id = ?",
                     [report_id]).fetchone()
    if not r or r[1] is None or not r[0] or r[2] is None or r[3] is not None:
        return None
    prev = [p for p in same_agency_reports(conn, r[0], r[1] - 1) if p != report_id]
    if not prev:
        return None
    prev_id = prev[0]
    mine = conn.execute("SELECT chars, minhash FROM paragraph_sigs WHERE report_id = ?", [report_id]).fetchall()
    theirs = [_sig(b) for (b,) in conn.execute("SELECT minhash FROM paragraph_sigs WHERE report_id = ?", [prev_id])]
    total = sum(c for c, _ in mine)
    repeated = sum(c for c, b in mine if any(similarity(_sig(b), t) >= THRESHOLD for t in theirs))
    text_rate = round(repeated / total, 4) if total and theirs else None
    pv = conn.execute("SELECT current_version_id FROM reports WHERE id = ?", [prev_id]).fetchone()[0]
    cur = {(t, rw, c): v for t, rw, c, v in conn.execute(
        "SELECT tbl, row_key, col_key, value FROM cells WHERE version_id = ? AND value IS NOT NULL", [r[2]])}
    old = {(t, rw, c): v for t, rw, c, v in conn.execute(
        "SELECT tbl, row_key, col_key, value FROM cells WHERE version_id = ? AND value IS NOT NULL", [pv])}
    both = [k for k in cur if k in old and cur[k] != 0]
    table_rate = round(sum(1 for k in both if cur[k] == old[k]) / len(both), 4) if both else None
    return {"prev_report_id": prev_id, "text_repeat_rate": text_rate, "table_repeat_rate": table_rate,
            "paragraphs": len(mine), "cells_compared": len(both)}


def write_stats(conn, report_id: int, copied_paragraphs: int | None) -> None:
    """The row of `copy_stats` for the report (the scorecard reads it); none for an edition."""
    if not _has_tables(conn):
        return
    r = conn.execute("SELECT current_version_id, edition_of FROM reports WHERE id = ?", [report_id]).fetchone()
    if r is None or r[0] is None or r[1] is not None:
        conn.execute("DELETE FROM copy_stats WHERE report_id = ?", [report_id])
        return
    rep = repetition(conn, report_id) or {}
    conn.execute(
        "INSERT INTO copy_stats (report_id, version_id, prev_report_id, text_repeat_rate, table_repeat_rate, "
        "paragraphs, cells_compared, paragraphs_copied_other, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(report_id) DO UPDATE SET version_id = excluded.version_id, "
        "prev_report_id = excluded.prev_report_id, text_repeat_rate = excluded.text_repeat_rate, "
        "table_repeat_rate = excluded.table_repeat_rate, paragraphs = excluded.paragraphs, "
        "cells_compared = excluded.cells_compared, paragraphs_copied_other = excluded.paragraphs_copied_other, "
        "computed_at = excluded.computed_at",
        [report_id, r[0], rep.get("prev_report_id"), rep.get("text_repeat_rate"), rep.get("table_repeat_rate"),
         rep.get("paragraphs"), rep.get("cells_compared"), copied_paragraphs,
         datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")])
