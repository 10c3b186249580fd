"""Report identity, versions, editions and attachment cells, with provenance to WARC bytes."""
from __future__ import annotations

from archive_helpers import current_checks, store, store_attachment

from archive.warc import read_record, sha256
from archive.writer import Archive
from bench.synthetic import make_doc


def trace(arc: Archive, report_id: int) -> tuple[bytes, dict]:
    """Follow reports.current_version_id → report_versions.capture_id → captures → WARC."""
    cap = arc.db.conn.execute(
        "SELECT c.sha256, c.warc_file, c.warc_offset, c.warc_length, c.id FROM reports r "
        "JOIN report_versions v ON v.id = r.current_version_id "
        "JOIN captures c ON c.id = v.capture_id WHERE r.id = ?", [report_id]).fetchone()
    rec = read_record(arc.warc_dir, cap[1], cap[2], cap[3])
    assert sha256(rec.body) == cap[0]
    return rec.body, {"capture_id": cap[4]}


def test_same_url_same_content_is_nothing_new(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("某市教育局", 2023)
    rid, vid, new, _ = store(arc, doc, "http://t/a", seen_at="2024-01-10T00:00:00Z")
    assert new
    rid2, vid2, new2, _ = store(arc, doc, "http://t/a", seen_at="2024-02-10T00:00:00Z")
    assert (rid2, vid2, new2) == (rid, vid, False)
    first, last = arc.db.conn.execute("SELECT first_seen, last_seen FROM reports WHERE id = ?",
                                      [rid]).fetchone()
    assert (first, last) == ("2024-01-10T00:00:00Z", "2024-02-10T00:00:00Z")
    assert arc.db.conn.execute("SELECT COUNT(*) FROM report_versions").fetchone()[0] == 1


def test_same_agency_year_edition_under_another_url_is_the_same_report(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("海宁市人民政府", 2023)
    rid = store(arc, doc, "http://t/col1/a.html")[0]
    rid2, _, new, _ = store(arc, doc, "http://t/col2/b.html")     # posted in a second column
    assert rid2 == rid and not new
    urls = {u for (u,) in arc.db.conn.execute("SELECT url FROM report_urls WHERE report_id = ?", [rid])}
    assert urls == {"http://t/col1/a.html", "http://t/col2/b.html"}
    other_year = store(arc, make_doc("海宁市人民政府", 2022), "http://t/col1/c.html")[0]
    other_agency = store(arc, make_doc("桐乡市人民政府", 2023), "http://t/col1/d.html")[0]
    assert len({rid, other_year, other_agency}) == 3


def test_attachment_only_report_takes_its_tables_from_the_attachment(tmp_path):
    arc = Archive(tmp_path / "a.db")
    full = make_doc("某市民政局", 2023, seed=5)
    page = dict(full, cells=[], tables={}, format=None, kind="attachment_only",
                body_text="某市民政局2023年度政府信息公开工作年度报告 详见附件")
    page_body = b"<html><body>\xe8\xaf\xa6\xe8\xa7\x81\xe9\x99\x84\xe4\xbb\xb6 <a href='r.pdf'>r.pdf</a></body></html>"
    rid, page_vid, _, page_cap = store(arc, page, "http://t/p.html", body=page_body,
                                       kind="attachment_only")
    att_doc = dict(full, title=None, agency=None, doc_type="pdf")
    att_id, att_cap = store_attachment(arc, "http://t/p.html", att_doc, "http://t/r.pdf",
                                       body=b"%PDF-1.4 synthetic report bytes " + full["title"].encode())
    cur = arc.db.conn.execute("SELECT current_version_id, format, body_text FROM reports WHERE id = ?",
                              [rid]).fetchone()
    assert cur[0] != page_vid and cur[1] == "2021" and "详见附件" in cur[2]
    v = arc.db.conn.execute("SELECT capture_id, part, attachment_id, title FROM report_versions "
                            "WHERE id = ?", [cur[0]]).fetchone()
    assert v == (att_cap, "attachment", att_id, full["title"])   # page identity, attachment bytes
    caps = {c for (c,) in arc.db.conn.execute("SELECT DISTINCT capture_id FROM cells WHERE version_id = ?",
                                              [cur[0]])}
    assert caps == {att_cap}
    body, _ = trace(arc, rid)
    assert body.startswith(b"%PDF-1.4")
    n_wide = arc.db.conn.execute("SELECT COUNT(*) FROM t3_wide WHERE report_id = ?", [rid]).fetchone()[0]
    assert n_wide == 25
    assert {r["status"] for r in current_checks(arc, rid, "T3-BAL")} == {"pass"}
    # Re-crawling the unchanged page keeps the attachment's tables current.
    _, vid_again, new, _ = store(arc, page, "http://t/p.html", body=page_body, kind="attachment_only")
    assert not new
    assert arc.db.conn.execute("SELECT current_version_id FROM reports WHERE id = ?",
                               [rid]).fetchone()[0] == cur[0]
    # The same attachment bytes again: nothing new.
    store_attachment(arc, "http://t/p.html", att_doc, "http://t/r.pdf",
                     body=b"%PDF-1.4 synthetic report bytes " + full["title"].encode())
    assert arc.db.conn.execute("SELECT COUNT(*) FROM report_versions WHERE report_id = ?",
                               [rid]).fetchone()[0] == 2


def test_page_tables_stay_current_and_attachment_is_compared(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("某市财政局", 2023, seed=6)
    rid, vid, _, _ = store(arc, doc, "http://t/p.html")
    att = make_doc("某市财政局", 2023, seed=6)
    att["cells"][0] = dict(att["cells"][0], raw="99", value=99, semantic="NUMERIC")
    store_attachment(arc, "http://t/p.html", att, "http://t/p.docx")
    assert arc.db.conn.execute("SELECT current_version_id FROM reports WHERE id = ?",
                               [rid]).fetchone()[0] == vid
    dup = current_checks(arc, rid, "P-DUPLICATE")
    assert [d["status"] for d in dup] == ["fail"]
    c0 = doc["cells"][0]
    assert f"{c0['table']}/{c0['row']}/{c0['col']}" in dup[0]["detail"]


def test_every_current_version_traces_to_its_warc_record(tmp_path):
    arc = Archive(tmp_path / "a.db")
    ids = [store(arc, make_doc(f"某市{n}", 2023, seed=i), f"http://t/{i}")[0]
           for i, n in enumerate(["教育局", "公安局", "民政局"])]
    for rid in ids:
        body, _ = trace(arc, rid)
        title = arc.db.conn.execute("SELECT title FROM reports WHERE id = ?", [rid]).fetchone()[0]
        assert title in body.decode()
        n = arc.db.conn.execute("SELECT COUNT(*) FROM cells c JOIN reports r ON r.id = c.report_id "
                                "AND c.version_id = r.current_version_id WHERE r.id = ?",
                                [rid]).fetchone()[0]
        assert n > 0
        assert current_checks(arc, rid)


def test_extraction_error_is_kept_with_the_version(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("某市教育局", 2023)
    bad = dict(doc, cells=[], tables={}, error={"code": "not_extractable", "message": "WPS"})
    rid, vid, _, _ = store(arc, bad, "http://t/x.wps")
    err = arc.db.conn.execute("SELECT error FROM report_versions WHERE id = ?", [vid]).fetchone()[0]
    assert "not_extractable" in err
    assert {r["status"] for r in current_checks(arc, rid, "T3-BAL")} == {"not_assessable"}


def test_attachment_text_is_searchable_for_attachment_only_reports(tmp_path):
    from archive import search
    arc = Archive(tmp_path / "a.db")
    page = dict(make_doc("某市档案局", 2017), cells=[], tables={}, format=None,
                body_text="详见附件", kind="attachment_only")
    rid = store(arc, page, "http://t/p.html", kind="attachment_only")[0]
    assert search.search(arc.db, "依申请公开") == []
    legacy = dict(page, cells=[], tables={}, body_text="本年度共受理依申请公开申请3件，均已办结。")
    store_attachment(arc, "http://t/p.html", legacy, "http://t/r.doc", body=b"\xd0\xcf\x11\xe0 doc")
    assert [r["id"] for r in search.search(arc.db, "依申请公开")] == [rid]
    assert [r["id"] for r in search.search(arc.db, "办结")] == [rid]


def test_two_urls_of_one_report_with_different_content_do_not_churn(tmp_path):
    arc = Archive(tmp_path / "a.db")
    a = make_doc("某市交通运输局", 2023, seed=1)
    b = make_doc("某市交通运输局", 2023, seed=2)            # same identity, other numbers
    rid = store(arc, a, "http://t/a")[0]
    assert store(arc, b, "http://t/b")[0] == rid              # a second version of the report
    for _ in range(2):                                        # later crawls see both URLs again
        assert store(arc, a, "http://t/a")[2] is False
        assert store(arc, b, "http://t/b")[2] is False
    assert arc.db.conn.execute("SELECT COUNT(*) FROM report_versions WHERE report_id = ?",
                               [rid]).fetchone()[0] == 2


def _two_sources(tmp_path) -> Archive:
    arc = Archive(tmp_path / "a.db")
    arc.sync_sources([{"id": "real", "name": "海宁市人民政府", "url": "http://real.test/nb/"},
                      {"id": "copy", "name": "某网站", "url": "http://copy.test/nb/"}])
    return arc


def _count(arc: Archive, sql: str, args=()) -> int:
    return arc.db.conn.execute(sql, args).fetchone()[0]


def test_a_look_alike_on_another_source_is_its_own_report(tmp_path):
    arc = _two_sources(tmp_path)
    real = make_doc("海宁市人民政府", 2023, seed=1)
    rid = store(arc, real, "http://real.test/nb/a.html", source_id="real")[0]
    fake = make_doc("海宁市人民政府", 2023, seed=2)          # the same title, other numbers
    assert fake["title"] == real["title"] and fake["cells"] != real["cells"]
    fid = store(arc, fake, "http://copy.test/nb/report.html", source_id="copy")[0]
    assert fid != rid                                         # neither a version nor an edition
    assert arc.db.conn.execute("SELECT source_id, edition_of, agency_key, report_year FROM reports "
                               "WHERE id = ?", [fid]).fetchone() == ("copy", None, "海宁市政府", 2023)
    # a 图解 there is an edition of that source's own report, not of the agency's
    gid = store(arc, fake, "http://copy.test/nb/tujie.html", source_id="copy", kind="graphic")[0]
    assert _count(arc, "SELECT edition_of FROM reports WHERE id = ?", [gid]) == fid
    assert _count(arc, "SELECT COUNT(*) FROM report_versions WHERE report_id = ?", [rid]) == 1
    assert _count(arc, "SELECT COUNT(*) FROM report_urls WHERE report_id = ?", [rid]) == 1
    assert _count(arc, "SELECT COUNT(*) FROM reports WHERE edition_of = ?", [rid]) == 0
    assert [r["status"] for r in current_checks(arc, rid, "P-CHANGED")] == ["pass"]
    assert current_checks(arc, rid, "P-DUPLICATE") == []     # not compared across sources
    # Within one source the same agency-year under another URL is still the same report.
    assert store(arc, real, "http://real.test/nb/b.html", source_id="real")[0] == rid


def test_another_source_joins_a_report_only_on_edition_evidence(tmp_path):
    arc = _two_sources(tmp_path)
    real = dict(make_doc("海宁市人民政府", 2023, seed=1),
                links=[{"url": "http://copy.test/nb/reprint.html", "text": "转载"}])
    rid = store(arc, real, "http://real.test/nb/a.html", source_id="real")[0]
    # the report links the copy that reprints it: the same report, reached by a second URL
    assert store(arc, real, "http://copy.test/nb/reprint.html", source_id="copy")[0] == rid
    # a page linking the report proves nothing: any site can link it
    backlink = dict(make_doc("海宁市人民政府", 2023, seed=3),
                    links=[{"url": "http://real.test/nb/a.html", "text": "原文"}])
    assert store(arc, backlink, "http://copy.test/nb/backlink.html", source_id="copy")[0] != rid
    # the report page links a page of the other source as its attachment: an edition of it
    store_attachment(arc, "http://real.test/nb/a.html", dict(real, cells=[], tables={}),
                     "http://copy.test/nb/tujie.html")
    gid = store(arc, real, "http://copy.test/nb/tujie.html", source_id="copy", kind="graphic")[0]
    assert gid != rid
    assert _count(arc, "SELECT edition_of FROM reports WHERE id = ?", [gid]) == rid
    # no link, no evidence
    other = store(arc, real, "http://copy.test/nb/other.html", source_id="copy")[0]
    assert other not in (rid, gid)


def test_changed_compares_one_url_with_itself(tmp_path):
    """Two URLs of one report are two copies, not an edit; the same URL changing is one."""
    arc = _two_sources(tmp_path)
    a = make_doc("某市交通运输局", 2023, seed=1)
    b = make_doc("某市交通运输局", 2023, seed=2)
    rid = store(arc, a, "http://real.test/nb/a.html", source_id="real")[0]
    assert store(arc, b, "http://real.test/nb/b.html", source_id="real")[0] == rid
    rows = current_checks(arc, rid, "P-CHANGED")
    assert {r["scope"]: r["status"] for r in rows} == {
        "page http://real.test/nb/a.html": "pass", "page http://real.test/nb/b.html": "pass"}
    store(arc, a, "http://real.test/nb/b.html", source_id="real")   # b now says what a says
    rows = {r["scope"]: r for r in current_checks(arc, rid, "P-CHANGED")}
    assert rows["page http://real.test/nb/a.html"]["status"] == "pass"
    assert rows["page http://real.test/nb/b.html"]["status"] == "warn"


def test_the_body_is_stored_once_and_every_version_keeps_its_own(tmp_path):
    """The current page version lends its body to reports.body_text; when an edit changes the
    body, the earlier version gets its own body back before the report's changes, so every
    version still reads as extracted (docs/archive.md#version-documents)."""
    from pathlib import Path

    from archive import versiondoc
    from pipelines.extract.document import extract_document
    arc = Archive(tmp_path / "a.db")
    conn = arc.db.conn
    seed = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))[0].read_bytes()
    first = extract_document(seed)
    assert sum(1 for s in first["sections"] if s.get("text")) >= 3
    rid, v1, _, _ = store(arc, first, "http://t/a", seen_at="2024-01-10T00:00:00Z", body=seed)
    raw = conn.execute("SELECT document FROM report_versions WHERE id = ?", [v1]).fetchone()[0]
    assert first["body_text"][:40] not in raw and f'"{versiondoc.LENT}"' in raw
    assert versiondoc.fetch(conn, v1)["body_text"] == first["body_text"]
    edited = {**first, "body_text": first["body_text"] + "\n补充说明：更正一处数字。"}
    _, v2, new, _ = store(arc, edited, "http://t/a", seen_at="2024-02-10T00:00:00Z", body=seed + b"!")
    assert new and v2 != v1
    raws = dict(conn.execute("SELECT id, document FROM report_versions"))
    assert versiondoc.LENT not in raws[v1] and versiondoc.LENT in raws[v2]   # only the current lends
    assert versiondoc.load(raws[v1])["body_text"] == first["body_text"]
    assert versiondoc.fetch(conn, v2)["body_text"] == edited["body_text"]
    assert [s.get("text") for s in versiondoc.fetch(conn, v1)["sections"]] == \
        [s.get("text") for s in first["sections"]]
    # A body changed by hand in SQL is given back to the version that lent it, too.
    conn.execute("UPDATE reports SET body_text = 'x' WHERE id = ?", [rid])
    assert versiondoc.fetch(conn, v2)["body_text"] == edited["body_text"]
    arc.close()


def test_cells_the_writer_refuses_as_the_view_did(tmp_path):
    """write_cells inserts into cell_values itself: another table than t2/t3/t4 or an unknown
    semantic is refused, and nothing of that item is stored."""
    import sqlite3

    import pytest
    arc = Archive(tmp_path / "a.db")
    for k, bad in enumerate(({"table": "t9"}, {"semantic": "MAYBE"})):
        doc = make_doc(f"某市第{k}局", 2023)
        doc["cells"][0].update(bad)
        with pytest.raises(sqlite3.IntegrityError):
            store(arc, doc, f"http://t/{k}")
    assert arc.db.conn.execute("SELECT COUNT(*) FROM cell_values").fetchone()[0] == 0
