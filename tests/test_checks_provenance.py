"""P-DEADLINE, P-CHANGED, P-DUPLICATE through the real writer."""
from __future__ import annotations

import copy
import json

from archive_helpers import current_checks, store

from archive.writer import Archive
from bench.synthetic import make_doc, render_text, set_cell


def deadline(arc, rid):
    return current_checks(arc, rid, "P-DEADLINE")[0]


def test_deadline_department_vs_government(tmp_path):
    arc = Archive(tmp_path / "a.db")
    seen = "2024-01-15T00:00:00Z"
    dept_ok = store(arc, make_doc("某市教育局", 2023, published="2024-01-20"), "http://t/1",
                    seen_at=seen)[0]
    dept_late = store(arc, make_doc("某市公安局", 2023, published="2024-03-01"), "http://t/2",
                      seen_at=seen)[0]
    gov_ok = store(arc, make_doc("海宁市人民政府", 2023, published="2024-03-01"), "http://t/3",
                   seen_at=seen)[0]
    gov_late = store(arc, make_doc("桐乡市人民政府", 2023, published="2024-04-02"), "http://t/4",
                     seen_at=seen)[0]
    town = store(arc, make_doc("长安镇人民政府", 2023, published="2024-02-10"), "http://t/5",
                 seen_at=seen)[0]
    assert deadline(arc, dept_ok)["status"] == "pass"
    late = deadline(arc, dept_late)
    assert late["status"] == "fail" and late["expected"] == "2024-01-31" and late["delta"] == 30
    assert deadline(arc, gov_ok)["status"] == "pass"
    g = deadline(arc, gov_late)
    assert g["status"] == "fail" and g["expected"] == "2024-03-31" and g["delta"] == 2
    assert deadline(arc, town)["status"] == "warn"        # no statutory township deadline


def test_deadline_is_judged_on_the_declared_date_not_on_our_crawl(tmp_path):
    arc = Archive(tmp_path / "a.db")
    arc.sync_sources([{"id": "s1", "name": "某市", "url": "http://t/list"}])
    arc.add_capture(run_id=None, source_id="s1", url="http://t/list", status=200,
                    headers=[("Content-Type", "text/html")], body=b"<html>list</html>",
                    fetched_at="2024-01-25T10:00:00Z", role="list")
    # Declared on time, first seen late (our crawl): on time.
    rid = store(arc, make_doc("某市教育局", 2023, published="2024-01-20"), "http://t/a",
                seen_at="2024-03-05T10:00:00Z", source_id="s1")[0]
    assert deadline(arc, rid)["status"] == "pass"
    # No declared date: our own capture before the deadline proves it was online in time.
    nodate = make_doc("某市民政局", 2023)
    nodate["published"] = None
    rid2 = store(arc, nodate, "http://t/b", seen_at="2024-01-10T00:00:00Z")[0]
    assert deadline(arc, rid2)["status"] == "pass"
    rid3 = store(arc, dict(nodate, agency="某市财政局", title="某市财政局2023年政府信息公开工作年度报告"), "http://t/c",
                 seen_at="2024-05-10T00:00:00Z")[0]
    assert deadline(arc, rid3)["status"] == "not_assessable"


def test_deadline_article_49_levels_and_unnamed_bodies(tmp_path, monkeypatch):
    from nianbao.agency import deadline as due
    assert str(due("青山县人民政府", 2022).due) == "2023-03-31"
    assert str(due("青山县教育局", 2022).due) == "2023-01-31"
    # A township's key ends in 政府 too: it does not get the government's 3月31日.
    town = due("闽溪县/东湖镇政府", 2022)
    assert str(town.due) == "2023-01-31" and town.late_status == "warn"
    zone = due("青山县经济开发区管委会", 2022)
    assert str(zone.due) == "2023-01-31" and zone.late_status == "warn"
    monkeypatch.setenv("NIANBAO_UNNAMED_DEADLINE", "03-31")
    monkeypatch.setenv("NIANBAO_UNNAMED_LATE_STATUS", "fail")
    town = due("东湖镇人民政府", 2022)
    assert str(town.due) == "2023-03-31" and town.late_status == "fail"
    monkeypatch.delenv("NIANBAO_UNNAMED_DEADLINE")
    monkeypatch.delenv("NIANBAO_UNNAMED_LATE_STATUS")
    arc = Archive(tmp_path / "a.db")
    rid = store(arc, make_doc("高新区管理委员会", 2023, published="2024-03-01"), "http://t/z")[0]
    r = deadline(arc, rid)
    assert r["status"] == "warn" and r["expected"] == "2024-01-31" and "第四十九条" in r["detail"]


def test_a_correction_is_judged_as_a_correction(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("某市教育局", 2023, published="2024-01-20", seed=4)
    rid = store(arc, doc, "http://t/r", kind="report")[0]
    fix = make_doc("某市教育局", 2023, published="2024-04-15", seed=4)
    fix["title"] = "关于《" + doc["title"] + "》的更正"
    fix["sections"] = []
    cid = store(arc, fix, "http://t/fix", kind="correction")[0]
    assert cid != rid
    d = deadline(arc, cid)
    assert d["status"] == "not_assessable" and "更正" in d["detail"]
    assert [x["status"] for x in current_checks(arc, cid, "S-SECTIONS")] == ["not_assessable"]
    assert deadline(arc, rid)["status"] == "pass"


def test_changed_after_publication_keeps_both_versions_and_names_cells(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("某市教育局", 2023, seed=1)
    rid, v1, new, _ = store(arc, doc, "http://t/r", seen_at="2024-01-20T00:00:00Z")
    assert current_checks(arc, rid, "P-CHANGED")[0]["status"] == "pass"
    # Bytes that differ only outside the content (a visit counter) are nothing new.
    same = render_text(doc).encode() + "访问次数：1234".encode()
    _, v_same, new_same, _ = store(arc, doc, "http://t/r", body=same, seen_at="2024-01-21T00:00:00Z")
    assert (v_same, new_same) == (v1, False)
    changed = copy.deepcopy(doc)
    g = changed["tables"]["t3"]["granted"]["natural_person"]
    set_cell(changed, "t3", "granted", "natural_person", str(g + 1), g + 1)
    set_cell(changed, "t3", "granted", "total", str(changed["tables"]["t3"]["granted"]["total"] + 1),
             changed["tables"]["t3"]["granted"]["total"] + 1)
    _, v2, new2, _ = store(arc, changed, "http://t/r", seen_at="2024-02-03T00:00:00Z")
    assert new2 and v2 != v1
    versions = arc.db.conn.execute("SELECT id, is_current FROM report_versions WHERE report_id = ? "
                                   "ORDER BY id", [rid]).fetchall()
    assert versions == [(v1, 0), (v2, 1)]
    r = current_checks(arc, rid, "P-CHANGED")[0]
    assert r["status"] == "warn" and "发布后有变动" in r["detail"]
    named = json.loads(r["cells"])
    total = doc["tables"]["t3"]["granted"]["total"]
    assert named == {"t3/granted/natural_person": [str(g), str(g + 1)],   # printed text
                     "t3/granted/total": [str(total), str(total + 1)]}
    # The old version's cells and checks are still there, no longer current.
    assert arc.db.conn.execute("SELECT COUNT(*) FROM cells WHERE version_id = ?", [v1]).fetchone()[0] > 0
    assert arc.db.conn.execute("SELECT COUNT(*) FROM checks WHERE version_id = ? AND is_current = 1",
                               [v1]).fetchone()[0] == 0


def test_editions_that_disagree(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("海宁市人民政府", 2023, seed=2)
    graphic = copy.deepcopy(doc)
    graphic["title"] = "图解：" + doc["title"]
    v = graphic["tables"]["t4"]["admin_review"]["total"] + 1
    set_cell(graphic, "t4", "admin_review", "total", str(v), v)
    # The 图解 arrives first; the full report, arriving later, becomes the primary edition.
    gid = store(arc, graphic, "http://t/tujie.html", kind="graphic")[0]
    rid = store(arc, doc, "http://t/report.html", kind="report")[0]
    assert gid != rid
    rows = dict(arc.db.conn.execute("SELECT id, edition_of FROM reports").fetchall())
    assert rows == {rid: None, gid: rid}
    for me in (rid, gid):
        r = current_checks(arc, me, "P-DUPLICATE")
        assert [x["status"] for x in r] == ["fail"]
        assert set(json.loads(r[0]["cells"])) == {"t4/admin_review/total"}
    # Cross-year checks follow the primary edition only.
    assert current_checks(arc, gid, "X-CARRY") == []


def test_editions_that_agree(tmp_path):
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("海宁市人民政府", 2023, seed=3)
    rid = store(arc, doc, "http://t/report.html", kind="report")[0]
    gid = store(arc, dict(doc, title="图解"), "http://t/tujie.html", kind="graphic")[0]
    assert [x["status"] for x in current_checks(arc, rid, "P-DUPLICATE")] == ["pass"]
    assert [x["status"] for x in current_checks(arc, gid, "P-DUPLICATE")] == ["pass"]


def test_a_page_and_its_attachment_are_not_a_change(tmp_path):
    from archive_helpers import store_attachment
    arc = Archive(tmp_path / "a.db")
    doc = make_doc("某市教育局", 2023, seed=5)
    page = dict(doc, cells=[], tables={})          # 详见附件: the tables are in the PDF
    rid = store(arc, page, "http://t/p.html")[0]
    store_attachment(arc, "http://t/p.html", doc, "http://t/p.pdf")
    rows = current_checks(arc, rid, "P-CHANGED")
    assert {r["scope"]: r["status"] for r in rows} == {"page": "pass", f"attachment {_att(arc)}": "pass"}
    # The same PDF URL fetched again with another number: a change of that part only.
    changed = copy.deepcopy(doc)
    set_cell(changed, "t3", "granted", "total", "999", 999)
    store_attachment(arc, "http://t/p.html", changed, "http://t/p.pdf")
    rows = {r["scope"]: r for r in current_checks(arc, rid, "P-CHANGED")}
    assert rows["page"]["status"] == "pass"
    att = rows[f"attachment {_att(arc)}"]
    assert att["status"] == "warn" and list(json.loads(att["cells"])) == ["t3/granted/total"]


def _att(arc) -> int:
    return arc.db.conn.execute("SELECT MAX(id) FROM attachments").fetchone()[0]
