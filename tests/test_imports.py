"""The layers import one way (docs/architecture.md): nianbao → pipelines/extract → … → archive.

Read from the source with `ast` (function-level imports count too), so a lazy import cannot hide
a wrong-way dependency or a cycle.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nianbao", "crawler", "pipelines", "archive", "cli", "farm")
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(TABLE|INDEX|VIEW)|BEGIN\s+IMMEDIATE|PRAGMA)\b", re.I | re.S)


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module a file imports, project modules resolved to the most specific module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for a in node.names:
                full = f"{base}.{a.name}"
                found.add(full if full in MODULES else base)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _top(mod: str) -> str:
    return mod.split(".")[0]


def _violations(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} imports {i}" for m, deps in GRAPH.items()
                  if m == prefix or m.startswith(prefix + ".")
                  for i in deps if _top(i) in forbidden or i in forbidden)


def test_the_graph_is_read():
    # A rule over an empty graph proves nothing: the scan must see the known imports.
    assert "nianbao.identity" in GRAPH["pipelines.scrapy_pipelines"]
    assert "nianbao.canon" in GRAPH["archive.checks.tables"]


def test_domain_model_imports_nothing_of_the_project():
    assert _violations("nianbao", ("crawler", "pipelines", "archive", "cli", "farm", "scrapy")) == []


def test_extraction_is_pure():
    assert _violations("pipelines.extract", ("scrapy", "archive", "crawler", "farm", "cli",
                                            "pipelines.scrapy_pipelines", "pipelines.reextract")) == []


def test_pipelines_never_import_the_crawler():
    assert _violations("pipelines", ("crawler", "farm", "cli")) == []


def test_archive_imports_neither_crawler_nor_farm():
    assert _violations("archive", ("crawler", "farm", "cli")) == []


def test_crawler_has_no_sql():
    assert _violations("crawler", ("sqlite3", "sqlite_utils", "farm", "cli")) == []
    holders = []
    for name, path in MODULES.items():
        if _top(name) != "crawler":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                holders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert holders == []


def test_no_import_cycles():
    project = {m: {i for i in deps if i in MODULES and i != m} for m, deps in GRAPH.items()}
    cycles, state = [], {}

    def visit(m, stack):
        state[m] = 1
        stack.append(m)
        for n in sorted(project[m]):
            if state.get(n) == 1:
                cycles.append(" → ".join(stack[stack.index(n):] + [n]))
            elif n not in state:
                visit(n, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(project):
        if m not in state:
            visit(m, [])
    assert cycles == []
