"""X-COPY-OTHER (archive/checks/copies.py): paragraphs shared by reports of different agencies,
found with MinHash/LSH kept in SQLite, boilerplate left out by document frequency; and the
repetition rates against the agency's own previous year (copy_stats)."""
from __future__ import annotations

import pytest
from archive_helpers import current_checks, store

from archive import versiondoc
from archive.checks import copies
from archive.writer import Archive
from pipelines.extract.document import extract_document

INTRO = ("本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于"
         "印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求编制。")
MODEL = ("{a}坚持以人民为中心的发展思想，认真贯彻落实党中央、国务院关于全面推进政务公开的决策部署，"
         "围绕中心工作，加强政策解读和回应关切，不断提升政务公开标准化规范化水平，全年主动公开政府信息{n}条。")
COPIED = ("我们在全市率先推行“掌上公开”服务，把办事指南、政策原文和解读材料按照群众生活中的婚育、就学、就业、"
          "养老等十二个场景重新编排，群众通过扫描社区公告栏上的二维码即可一键查阅，并可在线留言提出公开需求。")
OWN = ("{a}针对辖区{k}特点，组织工作人员深入{k}一线走访调研，编印{k}政策问答手册，"
       "把群众最关心的{k}补贴、审批时限、办理材料逐条写清，发放到每个{k}服务点。")
TOPICS = ("渔业", "茶叶", "林场", "港口", "矿区", "景区", "牧场", "园区")


def html(agency: str, year: int, paras: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f'<html><head><meta charset="utf-8"><title>{agency}{year}年政府信息公开工作年度报告</title></head>'
            f"<body><h1>{agency}{year}年政府信息公开工作年度报告</h1><p>发布日期：{year + 1}-01-20</p>{body}"
            "</body></html>").encode("utf-8")


def add(arc, i: int, agency: str, year: int, extra: list[str] = (), region: str = "某县", drain: bool = True) -> int:
    paras = [INTRO, MODEL.format(a=agency, n=100 + i), OWN.format(a=agency, k=TOPICS[i % len(TOPICS)]), *extra]
    url = f"http://s{i}.test/{year}.html"
    data = html(agency, year, paras)
    doc = extract_document(data, url, {"content-type": "text/html; charset=utf-8"})
    arc.sync_sources([{"id": f"s{i}", "name": agency, "url": f"http://s{i}.test/", "region": region}])
    if drain:
        return store(arc, doc, url, body=data, content_type="text/html; charset=utf-8", source_id=f"s{i}")[0]
    cap = arc.add_capture(run_id=None, source_id=f"s{i}", url=url, status=200,
                          headers=[("Content-Type", "text/html; charset=utf-8")], body=data, role="detail")
    return arc.store_document(capture_id=cap.id, source_id=f"s{i}", url=url, doc=doc)[0]


def copy_results(arc, rid: int) -> list[dict]:
    return current_checks(arc, rid, "X-COPY-OTHER")


def test_copy_found_with_its_pair_incrementally_and_template_left_out(tmp_path):
    arc = Archive(tmp_path / "a.db")
    # three agencies print the model paragraphs (their names and numbers filled in): boilerplate
    for i, name in enumerate(("戊县水利局", "己市商务局", "庚区统计局"), start=5):
        add(arc, i, name, 2023, region="戊省")
    a = add(arc, 0, "甲县教育局", 2023, [COPIED], region="甲省甲县")
    # no other agency prints its own paragraph
    assert [r["status"] for r in copy_results(arc, a)] == ["pass"]
    b = add(arc, 1, "乙市民政局", 2023, [COPIED], region="乙省乙市")
    # b names a; a, stored earlier and not queued again, is re-evaluated as b's neighbour
    (rb,) = copy_results(arc, b)
    (ra,) = copy_results(arc, a)
    assert rb["status"] == ra["status"] == "warn"
    assert rb["scope"] == f"text ~ report {a}" and ra["scope"] == f"text ~ report {b}"
    assert "掌上公开" in rb["detail"] and "甲县教育局" in rb["detail"]
    assert "掌上公开" in ra["detail"] and "乙市民政局" in ra["detail"]
    # only the copied paragraph: the model paragraphs are boilerplate, the intro a template marker
    assert rb["actual"] == "1" and "坚持以人民为中心" not in rb["detail"] and "国办公开办函" not in rb["detail"]
    # the same agency next year is X-COPY's business, not a copy from another agency
    a2 = add(arc, 2, "甲县教育局", 2024, [COPIED], region="甲省甲县")
    assert {r["scope"] for r in copy_results(arc, a2)} == {f"text ~ report {b}"}
    # a third and a fourth agency print it too: now it is a circulated text, reported by nobody
    add(arc, 3, "丙区财政局", 2023, [COPIED], region="丙省丙区")
    add(arc, 4, "丁镇人民政府", 2023, [COPIED], region="丁省丁镇")
    for rid in (a, b, a2):
        assert [r["status"] for r in copy_results(arc, rid)] == ["pass"], rid


def test_one_batch_sees_itself(tmp_path):
    arc = Archive(tmp_path / "a.db")
    ids = [add(arc, i, name, 2023, [COPIED] if i < 2 else [], drain=False)
           for i, name in enumerate(("甲县教育局", "乙市民政局", "丙区财政局"))]
    arc.drain_derived()
    assert [r["status"] for r in copy_results(arc, ids[0])] == ["warn"]
    assert [r["status"] for r in copy_results(arc, ids[1])] == ["warn"]
    assert [r["status"] for r in copy_results(arc, ids[2])] == ["pass"]


def test_repetition_rates_against_last_year(tmp_path):
    arc = Archive(tmp_path / "a.db")
    first = add(arc, 0, "甲县教育局", 2022, [COPIED])
    row = arc.db.conn.execute("SELECT prev_report_id, text_repeat_rate, table_repeat_rate "
                              "FROM copy_stats WHERE report_id = ?", [first]).fetchone()
    assert row == (None, None, None)   # no previous year: blank, not 0
    second = add(arc, 0, "甲县教育局", 2023, [COPIED])
    prev, text_rate, table_rate = arc.db.conn.execute(
        "SELECT prev_report_id, text_repeat_rate, table_repeat_rate FROM copy_stats WHERE report_id = ?",
        [second]).fetchone()
    assert prev == first
    # MODEL (numbers differ, normalised away), OWN and COPIED repeat: all of the text
    assert text_rate == 1.0
    assert table_rate is None          # no tables in either year
    third = add(arc, 0, "甲县教育局", 2024, ["今年我们新建了政务公开专区，配备自助查询终端三台，并开设无障碍阅读服务，"
                                           "为老年人和视障群众提供大字版、语音版政策文件，全年接待群众查询一千余人次。"])
    rate = arc.db.conn.execute("SELECT text_repeat_rate FROM copy_stats WHERE report_id = ?", [third]).fetchone()[0]
    assert 0 < rate < 1


reports = pytest.importorskip("farm.reports")


@pytest.fixture(scope="module")
def farm_archive(tmp_path_factory):
    """Reports of four farm portals (2022–2023) stored as a crawl would, one drain at the end."""
    from farm.portals import build_portals
    from farm.server import Farm
    farm = Farm.__new__(Farm)    # the portals only: nothing is served
    farm.edition, farm.port = 0, 0
    names = {"HanwebCountyPortal", "TrsPortal", "YlcmsPortal", "HunanPortal"}
    portals = [p for p in build_portals(farm) if type(p).__name__ in names]
    arc = Archive(tmp_path_factory.mktemp("copies") / "a.db")
    arc.sync_sources([s for p in portals for s in p.sources()])
    planted: dict[int, str] = {}
    contents: dict[int, dict] = {}
    for p in portals:
        sid = p.sources()[0]["id"]
        for e in p.entries:
            if e.kind != "report" or e.report_year not in (2022, 2023):
                continue
            g = e.gen(0)
            data = html(g.agency, g.report_year, []).replace(b"</body>", g.body_html.encode() + b"</body>")
            url = f"http://{sid}.test/{e.key}.html"
            doc = extract_document(data, url, {"content-type": "text/html; charset=utf-8"})
            cap = arc.add_capture(run_id=None, source_id=sid, url=url, status=200,
                                  headers=[("Content-Type", "text/html; charset=utf-8")], body=data, role="detail")
            rid = arc.store_document(capture_id=cap.id, source_id=sid, url=url, doc=doc)[0]
            contents[rid] = {"agency": g.agency, "year": g.report_year}
            for f in g.planted:
                if f["kind"] == "copy":
                    planted[rid] = f["text"]
    arc.drain_derived()
    return arc, planted, contents


def test_farm_planted_copies_are_found_with_their_pair_and_nothing_else(farm_archive):
    arc, planted, contents = farm_archive
    assert len(planted) == 4 and len(set(planted.values())) == 2   # two pairs, in four counties
    warned = {}
    for rid in contents:
        for r in copy_results(arc, rid):
            if r["status"] == "warn":
                warned.setdefault(rid, set()).add(int(r["scope"].rsplit(" ", 1)[1]))
                assert planted.get(rid, "\0")[:20] in r["detail"]
    pairs = {rid: {o for o, t in planted.items() if t == text and o != rid} for rid, text in planted.items()}
    assert warned == pairs
    # the template (intro, seed-model paragraphs printed by every few reports) is counted as such
    stats = [r["detail"] for rid in contents for r in copy_results(arc, rid) if r["status"] == "pass"]
    assert sum("通用模板" in d and "其中 0 段" not in d for d in stats) > len(contents) / 2


def test_farm_repetition_rates_are_numbers(farm_archive):
    arc, _, contents = farm_archive
    rows = arc.db.conn.execute("SELECT r.report_year, s.prev_report_id, s.text_repeat_rate, s.table_repeat_rate "
                               "FROM copy_stats s JOIN reports r ON r.id = s.report_id").fetchall()
    assert len(rows) >= len(contents) - 10   # every primary report has its row
    with_prev = [r for r in rows if r[1] is not None]
    assert with_prev and all(r[0] == 2023 for r in with_prev)
    assert all(0 <= r[2] <= 1 for r in with_prev if r[2] is not None)
    assert any(r[3] is not None and 0 <= r[3] <= 1 for r in with_prev)
    assert all(r[2] is None and r[3] is None for r in rows if r[1] is None)


def test_normalisation_and_template_markers():
    assert copies.normalise("全年主动公开政府信息9,350条，其中二十三条") == copies.normalise("全年主动公开政府信息12条，其中五条")
    assert copies.is_template(INTRO)
    assert copies.paragraphs("短句。\n" + INTRO + "\n" + COPIED)[0][1] == COPIED


def test_a_copy_removed_by_a_new_version_clears_its_pair(tmp_path):
    arc = Archive(tmp_path / "a.db")
    for i, name in enumerate(("戊县水利局", "己市商务局", "庚区统计局"), start=5):
        add(arc, i, name, 2023, region="戊省")
    a = add(arc, 0, "甲县教育局", 2023, [COPIED], region="甲省甲县")
    b = add(arc, 1, "乙市民政局", 2023, [COPIED], region="乙省乙市")
    assert [r["status"] for r in copy_results(arc, a)] == ["warn"]
    # b publishes a new version without the paragraph: a, not queued, no longer shares anything
    data = html("乙市民政局", 2023, [INTRO, MODEL.format(a="乙市民政局", n=101)])
    doc = extract_document(data, "http://s1.test/2023.html", {"content-type": "text/html; charset=utf-8"})
    store(arc, doc, "http://s1.test/2023.html", body=data, content_type="text/html; charset=utf-8", source_id="s1")
    assert [r["status"] for r in copy_results(arc, b)] == ["pass"]
    assert [r["status"] for r in copy_results(arc, a)] == ["pass"]
    # b's index rows are those of its new version only (the old ones deleted by their keys)
    conn = arc.db.conn
    paras = conn.execute("SELECT COUNT(*) FROM paragraph_sigs WHERE report_id = ?", [b]).fetchone()[0]
    assert 0 < paras < 4
    assert conn.execute("SELECT COUNT(*) FROM paragraph_bands WHERE report_id = ?", [b]).fetchone()[0] \
        == paras * copies._bands()[0]


def test_repetition_rate_when_the_earlier_year_arrives_later(tmp_path):
    arc = Archive(tmp_path / "a.db")
    later = add(arc, 0, "甲县教育局", 2023, [COPIED])
    assert arc.db.conn.execute("SELECT prev_report_id FROM copy_stats WHERE report_id = ?", [later]).fetchone() == (None,)
    earlier = add(arc, 0, "甲县教育局", 2022, [COPIED])
    assert arc.db.conn.execute("SELECT prev_report_id, text_repeat_rate FROM copy_stats WHERE report_id = ?",
                               [later]).fetchone() == (earlier, 1.0)


def test_verdicts_do_not_depend_on_the_order_of_arrival(tmp_path, farm_archive):
    """The farm reports stored again in reverse order, one drain per ten reports: same verdicts."""
    arc, _, contents = farm_archive
    conn = arc.db.conn
    rows = conn.execute("SELECT r.id, r.source_id, r.url, d.document, c.id FROM reports r "
                        "JOIN report_versions v ON v.id = r.current_version_id JOIN captures c ON c.id = v.capture_id "
                        "JOIN version_documents d ON d.id = v.id "   # with the body it lends to the report
                        "ORDER BY r.id DESC").fetchall()
    other = Archive(tmp_path / "b.db")
    other.sync_sources([dict(zip(("id", "name", "url", "region"), s))
                        for s in conn.execute("SELECT id, name, url, region FROM sources")])
    for n, (_rid, sid, url, document, _cap) in enumerate(rows):
        c = other.add_capture(run_id=None, source_id=sid, url=url, status=200,
                              headers=[("Content-Type", "text/html; charset=utf-8")], body=url.encode(), role="detail")
        other.store_document(capture_id=c.id, source_id=sid, url=url, doc=versiondoc.load(document))
        if n % 10 == 9:
            other.drain_derived()
    other.drain_derived()

    def verdicts(db):
        return sorted(db.execute(
            "SELECT r.url, k.status, COALESCE((SELECT o.url FROM reports o WHERE 'text ~ report ' || o.id = k.scope), '') "
            "FROM checks k JOIN reports r ON r.id = k.report_id WHERE k.check_id = 'X-COPY-OTHER' AND k.is_current = 1"
        ).fetchall())
    incremental = verdicts(other.db.conn)
    from archive import derive
    derive.enqueue(other.db.conn, [r for (r,) in other.db.conn.execute("SELECT id FROM reports")])
    other.drain_derived()
    fresh = verdicts(other.db.conn)
    assert set(incremental) ^ set(fresh) == set(), (set(incremental) - set(fresh), set(fresh) - set(incremental))
    assert incremental == fresh   # derived afresh from the same rows: the same verdicts
    assert {v for v in incremental if v[1] == "warn"} == {v for v in verdicts(conn) if v[1] == "warn"}


def test_known_bands_and_lean_minhash_match_datasketch():
    """The (b, r) kept in copies._KNOWN_BANDS are datasketch's own, and the MinHash loaded without
    datasketch's package __init__ gives the same signature as datasketch's MinHash."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    for (threshold, num_perm), br in copies._KNOWN_BANDS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert (lsh.b, lsh.r) == br
    norm = copies.normalise("本机关全年共收到政府信息公开申请120件，办结118件，其中予以公开56件")
    m = MinHash(num_perm=copies.NUM_PERM)
    m.update_batch([norm[i:i + copies.SHINGLE].encode() for i in range(max(1, len(norm) - copies.SHINGLE + 1))])
    assert (copies.signature(norm) == m.hashvalues.astype(np.uint32)).all()


def test_match_memo_keeps_only_the_current_index_generation(tmp_path):
    """The memo of paragraph matches must not grow with the crawl: an entry read from an older
    index can never be asked again (a 10k-page farm crawl's process grew by ~450 MB per 1,000
    pages while it kept them all)."""
    arc = Archive(tmp_path / "a.db")
    generations = set()
    for i, name in enumerate(("甲县教育局", "乙市民政局", "丙区财政局", "丁镇人民政府", "戊县水利局")):
        add(arc, i, name, 2023, [COPIED])
        assert copies._MEMO, "the memo is in use"
        generations |= {k[:2] for k in copies._MEMO}
        assert {k[:2] for k in copies._MEMO} == {copies._MEMO_INDEX}
    assert len(generations) > 1   # the index changed between the stores; older entries were dropped


def test_similarities_in_one_comparison_equal_one_by_one():
    import numpy as np
    rng = np.random.default_rng(5)
    sig = rng.integers(0, 50, copies.NUM_PERM, dtype=np.uint32)
    blobs = [rng.integers(0, 50, copies.NUM_PERM, dtype=np.uint32).tobytes() for _ in range(30)] + [sig.tobytes()]
    one_by_one = [copies.similarity(sig, copies._sig(b)) for b in blobs]
    assert copies._similarities(sig, blobs) == one_by_one and one_by_one[-1] == 1.0
    assert len(set(one_by_one)) > 3
    odd = blobs[:3] + [sig.tobytes()[:-4]]   # a signature of another length: compared one by one
    assert copies._similarities(sig, odd[:3]) == one_by_one[:3]
    with pytest.raises(ValueError):
        copies._similarities(sig, odd)
    assert copies._similarities(sig, []) == []
