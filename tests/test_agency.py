"""Agency identity: one key for the spellings of one agency; the deadline level from the name."""
import pytest

from nianbao.agency import agency_key, level


@pytest.mark.parametrize("a,b", [
    ("海宁市人民政府", "海宁市政府"),
    ("海宁市人民政府", "2023年度海宁市人民政府"),
    ("海宁市人民政府", "海宁市 人民政府"),
    ("海宁市人民政府办公室", "海宁市政府办公室"),
    ("海宁市人民政府办公室", "海宁市政府办"),
    ("嘉兴市经济和信息化局", "嘉兴市经济和信息化局\u3000"),
    ("ＡＢ县人民政府", "AB县人民政府"),                      # full-width letters
])
def test_same_agency_same_key(a, b):
    assert agency_key(a) == agency_key(b)


@pytest.mark.parametrize("a,b", [
    ("海宁市人民政府", "海宁市人民政府办公室"),   # the government and its office report separately
    ("海宁市人民政府", "桐乡市人民政府"),
    ("海宁市教育局", "海宁市公安局"),
])
def test_different_agencies_differ(a, b):
    assert agency_key(a) != agency_key(b)


@pytest.mark.parametrize("name,lvl", [
    ("海宁市人民政府", "government"), ("杭州市西湖区人民政府", "government"),
    ("浙江省人民政府", "government"), ("广西壮族自治区人民政府", "government"),
    ("海宁市人民政府办公室", "department"), ("嘉兴市经济和信息化局", "department"),
    ("长安镇人民政府", "township"), ("硖石街道办事处", "township"), (None, None),
])
def test_level_decides_the_deadline(name, lvl):
    assert level(name) == lvl


def test_common_names_are_qualified_by_the_sources_region():
    from nianbao.agency import region_unit
    assert region_unit("浙江省嘉兴市海宁市") == "海宁市"
    assert agency_key("城关镇人民政府", "岭南县") != agency_key("城关镇人民政府", "湘水县")
    # A name that already names its place is not qualified twice.
    assert agency_key("海宁市人民政府", "浙江省嘉兴市海宁市") == agency_key("海宁市人民政府")


def test_same_town_name_in_two_counties_is_two_reports(tmp_path):
    from archive.writer import Archive
    a = Archive(tmp_path / "a.db")
    a.sync_sources([{"id": "a", "name": "A", "url": "http://a.test/", "region": "岭南县"},
                    {"id": "b", "name": "B", "url": "http://b.test/", "region": "湘水县"}])
    run = a.start_run(["a", "b"])
    doc = {"title": "城关镇人民政府2023年政府信息公开工作年度报告", "agency": "城关镇人民政府",
           "report_year": 2023, "extractor_version": "t", "cells": []}
    ids = []
    for sid, url in (("a", "http://a.test/1.html"), ("b", "http://b.test/1.html"),
                     ("a", "http://a.test/other-url.html")):
        c = a.add_capture(run_id=run, source_id=sid, url=url, status=200, body=url.encode())
        ids.append(a.store_document(capture_id=c.id, source_id=sid, url=url, doc=doc)[0])
    assert ids[0] != ids[1]          # different counties
    assert ids[2] == ids[0]          # same county, same agency and year, another URL
