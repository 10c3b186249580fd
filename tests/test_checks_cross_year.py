"""Cross-year checks through the real writer: any arrival order, renamed agencies."""
from __future__ import annotations

import copy

from archive_helpers import current_checks, statuses, store

from archive.agency import link
from archive.writer import Archive
from bench.synthetic import make_doc, set_cell

AGENCY = "嘉兴市经济和信息化局"


def series(agency=AGENCY, years=(2021, 2022, 2023), seed=0):
    docs, carry, inforce = {}, None, None
    for y in years:
        d = make_doc(agency, y, seed=seed, carried_over=carry, prev_in_force=inforce)
        carry = dict(d["tables"]["t3"]["carried_forward"])
        inforce = {r: v["in_force"] for r, v in d["tables"]["t2"].items() if "in_force" in v}
        docs[y] = d
    return docs


def results(arc, rid, cid):
    return {(r["scope"], r["status"], r["expected"], r["actual"], r["delta"])
            for r in current_checks(arc, rid, cid)}


def load(tmp_path, name, docs, order):
    arc = Archive(tmp_path / name / "a.db")
    ids = {}
    for y in order:
        ids[y] = store(arc, docs[y], f"http://gov.test/{y}.html")[0]
    return arc, ids


def test_carry_over_same_results_in_any_order(tmp_path):
    docs = series()
    # Break one year: 2023 claims 2 more requests carried over (natural persons) than 2022 left.
    d = docs[2023]
    for col in ("natural_person", "total"):
        v = d["tables"]["t3"]["carried_over"][col] + 2
        set_cell(d, "t3", "carried_over", col, str(v), v)
    a1, ids1 = load(tmp_path, "in_order", docs, [2021, 2022, 2023])
    a2, ids2 = load(tmp_path, "reversed", docs, [2023, 2022, 2021])
    a3, ids3 = load(tmp_path, "mixed", docs, [2022, 2023, 2021])
    for y in (2021, 2022, 2023):
        r1 = results(a1, ids1[y], "X-CARRY")
        assert r1 == results(a2, ids2[y], "X-CARRY") == results(a3, ids3[y], "X-CARRY")
    # 2021 has no 2020 in the archive; 2022 balances with 2021 in all seven columns.
    assert {s for _, s, *_ in results(a1, ids1[2021], "X-CARRY")} == {"not_assessable"}
    assert set(statuses(current_checks(a1, ids1[2022], "X-CARRY")).values()) == {"pass"}
    assert len(current_checks(a1, ids1[2022], "X-CARRY")) == 7
    st = statuses(current_checks(a1, ids1[2023], "X-CARRY"))
    assert st.pop("t3/total 2022→2023") == "fail"              # the total column is the hard fact
    assert st.pop("t3/natural_person 2022→2023") == "warn"     # per column: a warning
    assert set(st.values()) == {"pass"}
    total = next(r for r in current_checks(a1, ids1[2023], "X-CARRY") if "total" in r["scope"])
    assert total["delta"] == 2
    assert set(__import__("json").loads(total["cells"])) == {"2023:t3/carried_over/total",
                                                             "2022:t3/carried_forward/total"}


def test_cross_year_rows_are_not_duplicated_by_reevaluation(tmp_path):
    docs = series()
    arc, ids = load(tmp_path, "x", docs, [2023, 2021, 2022])
    n = arc.db.conn.execute("SELECT COUNT(*) FROM checks WHERE check_id = 'X-CARRY' "
                            "AND is_current = 1 AND report_id = ?", [ids[2023]]).fetchone()[0]
    assert n == 7


def test_in_force_chain_and_copy(tmp_path):
    docs = series(years=(2022, 2023))
    same = copy.deepcopy(docs[2023])
    same["body_text"] = docs[2022]["body_text"]            # narrative copied from last year
    v = same["tables"]["t2"]["regulations"]["in_force"] + 3
    set_cell(same, "t2", "regulations", "in_force", str(v), v)
    arc = Archive(tmp_path / "a.db")
    r22 = store(arc, docs[2022], "http://gov.test/2022.html")[0]
    r23 = store(arc, same, "http://gov.test/2023.html")[0]
    st = statuses(current_checks(arc, r23, "X-INFORCE"))
    assert st == {"t2/regulations 2022→2023": "warn", "t2/normative_docs 2022→2023": "pass"}
    warn = next(r for r in current_checks(arc, r23, "X-INFORCE") if r["status"] == "warn")
    assert warn["delta"] == 3
    copy_check = current_checks(arc, r23, "X-COPY")[0]
    assert copy_check["status"] == "warn" and "narrative" in copy_check["detail"]
    assert current_checks(arc, r22, "X-COPY")[0]["status"] == "not_assessable"


def test_different_narrative_is_not_a_copy(tmp_path):
    docs = series(years=(2022, 2023))
    docs[2023]["body_text"] = "一、总体情况\n本年度全面修订了依申请公开工作规程，新增网上申请渠道。" * 3
    arc = Archive(tmp_path / "a.db")
    store(arc, docs[2022], "http://gov.test/2022.html")
    r23 = store(arc, docs[2023], "http://gov.test/2023.html")[0]
    assert current_checks(arc, r23, "X-COPY")[0]["status"] == "pass"


def test_renamed_agency_linked_by_hand(tmp_path):
    old, new = "某市经济和信息化委员会", "某市经济和信息化局"
    d22 = make_doc(old, 2022, seed=3)
    d23 = make_doc(new, 2023, seed=3, carried_over=dict(d22["tables"]["t3"]["carried_forward"]))
    arc = Archive(tmp_path / "a.db")
    store(arc, d22, "http://gov.test/2022.html")
    r23 = store(arc, d23, "http://gov.test/2023.html")[0]
    assert {r["status"] for r in current_checks(arc, r23, "X-CARRY")} == {"not_assessable"}
    with arc.transaction() as db:
        link(db, new, old, note="2023年机构改革更名")
    assert {r["status"] for r in current_checks(arc, r23, "X-CARRY")} == {"pass"}


def test_agency_name_variants_are_the_same_agency(tmp_path):
    d22 = make_doc("2022年度海宁市人民政府", 2022, seed=4)
    d23 = make_doc("海宁市 政府", 2023, seed=4, carried_over=dict(d22["tables"]["t3"]["carried_forward"]))
    arc = Archive(tmp_path / "a.db")
    store(arc, d22, "http://gov.test/2022.html")
    r23 = store(arc, d23, "http://gov.test/2023.html")[0]
    assert {r["status"] for r in current_checks(arc, r23, "X-CARRY")} == {"pass"}
