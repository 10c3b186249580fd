"""S-TEXT-TABLE (archive/checks/text_table.py): the figures a report's text states against its
tables — on hand-made statements, the five real seeds, the farm's consistent reports (no `fail`)
and the farm's planted contradictions (every one found), served over HTTP and stored in an archive."""
from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from archive_helpers import current_checks, store

from archive.checks import report_checks, text_table
from archive.datasette.explain import explain
from archive.writer import Archive
from pipelines.extract.document import extract_document

SEEDS = Path(__file__).parent / "data" / "seeds"


def cell(t, r, c, v):
    return {"table": t, "row": r, "col": c, "raw": "" if v is None else str(v), "value": v,
            "semantic": "EMPTY" if v is None else ("ZERO" if v == 0 else "NUMERIC")}


def doc_with(text: str, new=95, carried=3, processed=90, review=2, year=2024) -> dict:
    return {"body_text": text, "report_year": year, "kind": "report", "format": "2021",
            "cells": [cell("t3", "new_received", "total", new), cell("t3", "carried_over", "total", carried),
                      cell("t3", "total_processed", "total", processed),
                      cell("t4", "admin_review", "total", review)]}


def results(doc: dict) -> list[dict]:
    return [r for r in text_table.run(doc) if r["id"] == "S-TEXT-TABLE"]


def test_the_real_contradiction_fails_with_sentence_number_cells_and_difference():
    # a 2024 district report said 受理17件 while its table 三 said 95 new applications
    (r,) = results(doc_with("2024年，本区共受理政府信息公开申请17件，均已办结。"))
    assert r["status"] == "fail"
    assert r["actual"] == 17 and r["expected"] == 95 and r["delta"] == -78
    assert r["cells"] == {"t3/new_received/total": "95", "t3/carried_over/total": "3"}
    assert "共受理政府信息公开申请17件" in r["detail"] and "另一读法 新收+上年结转 98" in r["detail"]
    assert r["scope"] == "text/t3.received"
    assert "未通过" in explain({"check_id": r["id"], "status": r["status"], "detail": r["detail"],
                               "expression": r["expression"], "scope": r["scope"], "cells": "{}"})


@pytest.mark.parametrize("text, status, reading", [
    ("共受理政府信息公开申请95件。", "pass", "本年新收"),
    ("共受理政府信息公开申请98件。", "pass", "新收+上年结转"),           # either reading of 受理
    ("全年受理政府信息公开申请九十余件。", "pass", None),               # 90余: 90 ≤ 95 < 100
    ("全年受理政府信息公开申请约90件。", "pass", None),                 # within 20%
    ("全年受理政府信息公开申请约50件。", "warn", None),                 # approximate: never a fail
    ("全年受理政府信息公开申请80余件。", "warn", None),                 # 80余 < 95
    ("2023年共受理政府信息公开申请40件。", "not_assessable", None),     # about another year
    ("全年主动公开政府信息5000条。", "not_assessable", None),           # no cell holds it
    ("按时答复政府信息公开申请88件。", "pass", None),                   # on time ≤ processed
    ("按时答复政府信息公开申请91件。", "fail", None),
    ("全年办结政府信息公开申请90件。", "pass", None),
    ("全年被申请行政复议2件。", "pass", None),
    ("全年被申请行政复议3件。", "fail", None),
])
def test_statuses(text, status, reading):
    (r,) = results(doc_with(text))
    assert r["status"] == status, r["detail"]
    if reading:
        assert f"与表格{reading}" in r["detail"]


def test_blank_cell_is_not_assessable_never_zero():
    (r,) = results(doc_with("全年被申请行政复议0件。", review=None))
    assert r["status"] == "not_assessable" and "空白" in r["detail"]


def test_no_statement_and_not_a_report():
    assert [r["status"] for r in results(doc_with("本机关高度重视政务公开工作。"))] == ["not_assessable"]
    d = doc_with("共受理政府信息公开申请17件。")
    d["kind"] = "correction"
    assert [r["status"] for r in results(d)] == ["not_assessable"]


def test_old_documents_get_their_figures_from_the_body_text():
    d = doc_with("共受理政府信息公开申请17件。")
    assert "stated" not in d
    assert [r["status"] for r in results(d)] == ["fail"]
    d["stated"] = []           # a document that says it states nothing is believed
    assert [r["status"] for r in results(d)] == ["not_assessable"]


def test_seeds_never_fail():
    counts = []
    for path in sorted(SEEDS.glob("*.txt")):
        doc = extract_document(path.read_bytes())
        res = [r for r in report_checks(doc) if r["id"] == "S-TEXT-TABLE"]
        assert not [r for r in res if r["status"] == "fail"], (path.name, res)
        counts.append(len(doc["stated"]))
        if path.name.startswith("000"):   # 收到523 / 办理完毕523 / 行政复议9 / 直接起诉5 / 复议后起诉1
            assert sum(r["status"] == "pass" for r in res) == 5
    assert sum(counts) >= 15   # 6, 2, 4, 2, 4 read by hand


reports = pytest.importorskip("farm.reports")


def page(g) -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{g.title}</title></head><body>'
            f'<h1>{g.title}</h1><p>发布日期：{g.report_year + 1}-01-20</p>{g.body_html}'
            "</body></html>").encode("utf-8")


def farm_specs(contradict: bool):
    agencies = ("清河县人民政府", "清河县教育局", "东湖镇人民政府", "北岗街道办事处")
    for i, agency in enumerate(agencies):
        for year in (2020, 2022, 2023):
            for layout in ("word", "editor", "text_lines", "text_pipes", "traditional", "prose_only"):
                yield reports.ReportSpec(agency=agency, year=year, fmt="2019" if year <= 2020 else "2021",
                                         layout=layout, blanks=(i % 2 == 1), seed=i * 10 + year,
                                         contradict=contradict)


@pytest.mark.parametrize("contradict", [False, True])
def test_farm_reports_fail_exactly_the_planted_contradictions(contradict):
    n_docs = n_figs = 0
    for spec in farm_specs(contradict):
        g = reports.generate(spec)
        doc = extract_document(page(g), "http://farm.test/r.html", {"content-type": "text/html; charset=utf-8"})
        n_docs += 1
        n_figs += len(doc["stated"])
        res = [r for r in report_checks(doc) if r["id"] == "S-TEXT-TABLE"]
        failing = {(r["scope"].split("/", 1)[1].split("#")[0], r["actual"]) for r in res if r["status"] == "fail"}
        planted = {(p["claim"], p["stated"]) for p in g.planted if p["kind"] == "contradiction"}
        assert failing == planted, (spec, [r["detail"] for r in res if r["status"] != "pass"])
        assert ("S-TEXT-TABLE" in g.expected_failures) == bool(planted)
        if contradict and spec.layout != "prose_only":
            assert planted   # every text layout got its contradictions
    assert n_figs / n_docs > 5   # figures read per farm report


def test_stored_report_carries_the_result(tmp_path):
    arc = Archive(tmp_path / "a.db")
    g = reports.generate(reports.ReportSpec(agency="清河县教育局", year=2023, contradict=True))
    data = page(g)
    doc = extract_document(data, "http://farm.test/r.html", {"content-type": "text/html; charset=utf-8"})
    rid = store(arc, doc, "http://farm.test/r.html", body=data, content_type="text/html; charset=utf-8")[0]
    rows = current_checks(arc, rid, "S-TEXT-TABLE")
    fails = [r for r in rows if r["status"] == "fail"]
    assert {r["scope"].split("#")[0] for r in fails} == {"text/t3.received", "text/t4.review"}
    assert {r["check_id"] for r in current_checks(arc, rid) if r["status"] == "fail"} == set(g.expected_failures)
    # What a reader must look up quotes its sentence; a pass quotes its phrase only.
    assert all("原句" in r["detail"] for r in rows if r["scope"] != "text" and r["status"] != "pass")
    passed = [r for r in rows if r["status"] == "pass"]
    assert passed and all(r["detail"] is None for r in passed)   # recomputed when shown
    from archive.checks import fill_passes
    passed = fill_passes(arc.db.conn, passed[0]["version_id"], passed)
    assert all("原句" not in r["detail"] and "“" in r["detail"] for r in passed)


def fetch(farm, url: str) -> bytes:
    u = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", farm.port, timeout=20)
    conn.request("GET", u.path, headers={"Host": u.netloc, "User-Agent": "Mozilla/5.0 farm-test"})
    data = conn.getresponse().read()
    conn.close()
    return data


def test_farm_manifest_contradictions_are_all_found_on_the_served_pages():
    from farm.server import Farm
    with Farm(port=0) as farm:
        farm.set_politeness(False)
        planted = farm.manifest()["planted"]["contradictions"]
        assert len({p["url"] for p in planted}) >= 3
        by_url: dict[str, set] = {}
        for p in planted:
            by_url.setdefault(p["url"], set()).add((p["claim"], p["stated"]))
        for url, want in by_url.items():
            doc = extract_document(fetch(farm, url), url)
            res = [r for r in report_checks(doc) if r["id"] == "S-TEXT-TABLE"]
            got = {(r["scope"].split("/", 1)[1].split("#")[0], r["actual"]) for r in res if r["status"] == "fail"}
            assert got == want, url


def test_report_page_shows_the_statement_beside_the_cell(tmp_path):
    from lxml import html as lxml_html

    from archive import figures
    from archive.serve import background
    from tests.test_datasette_site import get
    db = tmp_path / "a.db"
    arc = Archive(db)
    g = reports.generate(reports.ReportSpec(agency="清河县教育局", year=2023, contradict=True))
    data = page(g)
    doc = extract_document(data, "http://farm.test/r.html", {"content-type": "text/html; charset=utf-8"})
    rid = store(arc, doc, "http://farm.test/r.html", body=data, content_type="text/html; charset=utf-8")[0]
    arc.close()
    figures.refresh(db)
    with background(db, Path(__file__).resolve().parent.parent / "metadata.yml") as base:
        status, _, body = get(f"{base}/-/report/{rid}")
    assert status == 200
    html = lxml_html.fromstring(body.decode("utf-8"))
    row = html.cssselect('table.t3 tr[data-row="new_received"]')[0]
    total = row.cssselect("td")[-1]
    assert "fail" in total.get("class") and "S-TEXT-TABLE" in total.get("title")
    said = total.cssselect("sup.stated")[0].get("title")
    assert "受理政府信息公开申请" in said and "未通过" in said
    # a figure the text states correctly is marked too, as agreeing
    assert any(s.get("title", "").startswith("正文所述 通过") for s in html.cssselect("sup.stated"))
    names = [td.text_content() for td in html.cssselect("table.checks td")]
    assert any("正文数字与表格一致" in n for n in names)
