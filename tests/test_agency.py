"""Agency identity: one key for the spellings of one agency; the deadline level from the name."""
import pytest

from archive.agency import agency_key, level


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
