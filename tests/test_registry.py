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
