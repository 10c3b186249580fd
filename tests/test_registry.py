from pathlib import Path

import pytest

from crawler import registry

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_registry_loads_and_is_honest():
    sources = registry.load(ROOT / "sources.yml")
    ids = {s.id for s in sources}
    assert {"zj-haining", "zj-hz-xihu-shuangpu", "hn-yz-lengshuitan", "fj-zz-gulei", "zj-jx-jxj"} <= ids
    assert all(not s.verified for s in sources)       # nothing could be checked offline
    assert all(s.url.startswith(("http://", "https://")) for s in sources)


def test_validation(tmp_path):
    with pytest.raises(registry.RegistryError):
        registry.parse([{"id": "a", "name": "n"}])
    with pytest.raises(registry.RegistryError):
        registry.parse([{"id": "a", "name": "n", "url": "http://x"}, {"id": "a", "name": "m", "url": "http://y"}])
    with pytest.raises(registry.RegistryError):
        registry.parse([{"id": "a", "name": "n", "url": "http://x", "render": "sometimes"}])
    (s,) = registry.parse([{"id": "a", "name": "n", "url": "http://x", "politeness": {"download_delay": 2}}])
    assert s.render == "auto" and s.row()["config"]["politeness"] == {"download_delay": 2}


def test_cli_add_and_check(tmp_path):
    from click.testing import CliRunner

    from cli.main import main
    reg = tmp_path / "s.yml"
    r = CliRunner().invoke(main, ["sources", "add", "--registry", str(reg), "--id", "x", "--name", "X",
                                  "--url", "http://www.x.gov.cn.test/nb/", "--render", "static"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["sources", "add", "--registry", str(reg), "--id", "x", "--name", "X",
                                  "--url", "http://www.x.gov.cn.test/nb/"])
    assert r.exit_code != 0
    r = CliRunner().invoke(main, ["sources", "check", "--registry", str(reg)])
    assert r.exit_code == 0 and "1 sources" in r.output


GOOD = {"id": "a", "name": "n", "url": "http://www.a.gov.cn/nb/"}


@pytest.mark.parametrize("extra, words", [
    ({"enabeld": False}, ["source #1 (a)", "'enabeld'", "did you mean enabled?"]),
    ({"politness": {"download_delay": 1}}, ["'politness'", "did you mean politeness?"]),
    ({"politeness": {"dowload_delay": 1}}, ["politeness", "'dowload_delay'", "did you mean download_delay?"]),
    ({"enabled": "false"}, ["source #1 (a)", "enabled must be true or false"]),
    ({"verified": "yes"}, ["verified must be true or false"]),
    ({"politeness": {"download_delay": "2s"}}, ["politeness.download_delay", "non-negative number", "'2s'"]),
    ({"politeness": {"download_delay": -1}}, ["politeness.download_delay", "-1"]),
    ({"politeness": {"download_delay": True}}, ["politeness.download_delay"]),
    ({"politeness": {"concurrency": 0}}, ["politeness.concurrency"]),
    ({"politeness": 3}, ["politeness must be a mapping"]),
    ({"url": "ftp://www.a.gov.cn/nb/"}, ["url must be an http:// or https:// URL", "ftp://"]),
    ({"url": "javascript:alert(1)"}, ["url must be an http:// or https://"]),
    ({"url": "www.a.gov.cn/nb/"}, ["url must be an http:// or https://"]),
    ({"id": "Has Space"}, ["id must be a slug", "'Has Space'"]),
    ({"id": 42}, ["id must be a slug"]),
    ({"render": "sometimes"}, ["render must be one of static, browser, auto", "'sometimes'"]),
    ({"platform": "wordpress"}, ["platform must be one of", "hanweb", "'wordpress'"]),
    ({"hosts": "files.a.gov.cn"}, ["hosts must be a list"]),
    ({"name": ["x"]}, ["name must be text"]),
])
def test_strict_entries_name_the_source_and_the_key(extra, words):
    with pytest.raises(registry.RegistryError) as err:
        registry.parse([GOOD | extra])
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_errors_name_the_index_of_a_later_source():
    with pytest.raises(registry.RegistryError, match=r"source #2 \(b\): enabled"):
        registry.parse([GOOD, GOOD | {"id": "b", "enabled": "false"}])
    with pytest.raises(registry.RegistryError, match=r"source #2: id 'a' is listed twice"):
        registry.parse([GOOD, GOOD])
    with pytest.raises(registry.RegistryError, match=r"source #2: expected a mapping"):
        registry.parse([GOOD, "b"])


def test_valid_values_pass_and_keep_their_meaning():
    (s,) = registry.parse([GOOD | {"enabled": False, "verified": True, "render": "browser", "platform": "trs",
                                   "politeness": {"download_delay": 0.5, "concurrency": 1},
                                   "hosts": ["files.a.gov.cn"], "expect": "blocked", "mode": "jsl_521"}])
    assert (s.enabled, s.verified, s.render, s.platform) == (False, True, "browser", "trs")
    assert s.politeness == {"download_delay": 0.5, "concurrency": 1} and s.hosts == ["files.a.gov.cn"]
    # a key left empty in YAML (`politeness:`) means the default; an empty `enabled:` says nothing
    (s,) = registry.parse([GOOD | {"region": None, "politeness": None}])
    assert s.region is None and s.politeness == {} and s.enabled is True
    with pytest.raises(registry.RegistryError, match="enabled must be true or false"):
        registry.parse([GOOD | {"enabled": None}])


def test_platform_names_are_the_adapters():
    from crawler.platforms import ADAPTERS
    for a in ADAPTERS:
        assert registry.parse([GOOD | {"platform": a.name}])[0].platform == a.name


@pytest.mark.parametrize("text, words", [
    ("sources:\n- id: a\n  name: n\n  url: http://a.test/\n   render: static\n", ["line 5", "malformed YAML"]),
    ("sources:\n- id: a\n  name: [unclosed\n", ["line 4", "malformed YAML"]),
    ("sources:\n- id: a\n  name: n\n  url: http://a.test/\n  enabled: true\n  enabled: false\n",
     ["line 6", "'enabled' is written twice"]),
    ("sorces:\n- id: a\n", ["unknown key 'sorces'", "did you mean sources?"]),
    ("sources: {id: a}\n", ["`sources` must be a list"]),
])
def test_malformed_files_give_one_line_with_the_line_number(tmp_path, text, words):
    path = tmp_path / "s.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(registry.RegistryError) as err:
        registry.load(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg
    for w in words:
        assert w in msg, (w, msg)


def test_shipped_notes_are_not_cut_by_yaml_comments():
    """An unquoted ` #` starts a YAML comment: every notes value must be read whole."""
    text = (ROOT / "sources.yml").read_text(encoding="utf-8")
    raw = [line.split("notes:", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("notes:")]
    notes = [s.notes for s in registry.load(ROOT / "sources.yml")]
    assert len(raw) == len(notes)
    for written, read in zip(raw, notes):
        assert written.strip('"') == read
