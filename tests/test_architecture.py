"""The house rules, read from the code: which package may import which (ARCHITECTURE.md explains them).

Data flows one way: sources -> ingest -> store -> index -> search/ranking -> web, digest. Each package may
import the shared foundation and the packages listed for it, nothing else; nothing imports the CLI.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dailypapers"

# Small shared modules every layer may use: errors, settings, and the validated input types.
FOUNDATION = {"errors", "config", "logs", "dates", "periods", "validators", "names", "faults", "data"}

# package -> the packages it may import (besides itself and the foundation), in data-flow order.
ALLOWED: dict[str, set[str]] = {
    "sources": set(),
    "store": {"sources"},
    "ingest": {"sources", "store", "index"},  # hands each committed batch to the keyword index
    "index": {"store"},
    "search": {"index", "store"},
    "ranking": {"search", "index", "store"},
    "exports": {"store"},
    "paper_markdown": {"store"},
    "charts": set(),  # pure drawing: numbers in, SVG or PNG bytes out
    "community": {"ingest", "sources", "store", "index", "search", "ranking"},
    "digest": {"community", "ranking", "search", "index", "store", "sources"},
    # A member's export reads and writes everything they have: library, signals, searches, digest subscriptions.
    "portable": {"community", "digest", "exports", "ranking", "search", "store", "sources"},
    "web": {
        "community",
        "digest",
        "exports",
        "paper_markdown",
        "charts",
        "mcp_server",
        "ranking",
        "search",
        "index",
        "ingest",
        "sources",
        "store",
        "jobs",
        "portable",
    },  # jobs: /metrics counts the queue's jobs per state
    # Agents read what the site shows through the same reads below web (the feed, paper views, the markdown
    # page); never web itself.
    "mcp_server": {"paper_markdown", "community", "ranking", "search", "index", "sources", "store"},
    # The background jobs are the commands' own functions: community's for the submissions arXiv left waiting.
    "jobs": {"digest", "community", "index", "ingest", "store"},
    # Copies of the database and of the data dir's own files; the indexes it clears are rebuilt by the CLI.
    "backup": {"store", "ingest", "index"},
    "commands": {
        "backup",
        "charts",
        "community",
        "digest",
        "exports",
        "index",
        "ingest",
        "jobs",
        "mcp_server",
        "portable",
        "ranking",
        "search",
        "sources",
        "store",
        "web",
    },
    "cli": {"commands"},
}
# Never imported by the data path (sources, store, index, search, ranking): the request and mail layers.
UPPER = {"web", "digest", "community", "portable", "commands", "cli"}
DATA_PATH = ("sources", "store", "index", "search", "ranking")


def units() -> list[str]:
    """Every package and top-level module of dailypapers, by name."""
    found = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    found |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return sorted(found)


def imported_modules(file: Path) -> list[str]:
    """The absolute names of the modules `file` imports, module-level and deferred imports alike."""
    names = []
    for node in ast.walk(ast.parse(file.read_text(), str(file))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def imports_of(unit: str) -> dict[str, set[str]]:
    """{file: the dailypapers units it imports}, module-level and deferred imports alike."""
    path = PACKAGE / unit
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    found = {}
    for file in files:
        parts = [name.split(".") for name in imported_modules(file)]
        targets = {part[1] for part in parts if part[0] == "dailypapers" and len(part) > 1}
        found[str(file.relative_to(ROOT))] = targets - {unit}
    return found


def test_every_unit_has_a_place_in_the_rules():
    unlisted = [u for u in units() if u not in ALLOWED and u not in FOUNDATION]
    assert not unlisted, f"add these to ALLOWED here and to ARCHITECTURE.md: {unlisted}"


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_imports_follow_the_data_flow(unit):
    allowed = ALLOWED[unit] | FOUNDATION
    wrong = {file: sorted(t - allowed) for file, t in imports_of(unit).items() if t - allowed}
    assert not wrong, f"{unit} may import only {sorted(ALLOWED[unit])} and the foundation: {wrong}"


def test_the_foundation_imports_nothing_above_it():
    for unit in FOUNDATION - {"data"}:
        for file, targets in imports_of(unit).items():
            assert targets <= FOUNDATION, f"{file} imports {sorted(targets - FOUNDATION)}"


def test_the_data_path_never_imports_the_request_or_mail_layers():
    for unit in DATA_PATH:
        assert not ALLOWED[unit] & UPPER, unit  # the table itself keeps the rule


def test_nothing_imports_the_cli():
    for unit in units():
        if unit in ("cli", "commands"):
            continue
        for file, targets in imports_of(unit).items():
            assert not targets & {"cli", "commands"}, f"{file} imports the CLI"


def test_web_middleware_never_imports_the_routes():
    """A middleware wraps every route; what both need (the request metrics) lives beside them in web/."""
    for file in (PACKAGE / "web" / "middleware").glob("*.py"):
        routes = [name for name in imported_modules(file) if name.startswith("dailypapers.web.routes")]
        assert not routes, f"{file.relative_to(ROOT)} imports {routes}"


def test_an_import_inside_a_function_defers_a_heavy_library_and_says_so():
    for file in PACKAGE.rglob("*.py"):
        lines = file.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        line = lines[inner.lineno - 1]
                        block = "\n".join(
                            lines[max(0, inner.lineno - 4) : inner.end_lineno]
                        )  # the comment above a group
                        assert "dailypapers" not in line, f"{file}:{inner.lineno}: import dailypapers at the top"
                        assert "deferred" in block, f"{file}:{inner.lineno}: say why the import is deferred"


def test_architecture_md_allows_what_this_test_allows():
    """ARCHITECTURE.md's table says, per package, what it may import: the same sets as ALLOWED here."""
    table = {}
    for line in (ROOT / "ARCHITECTURE.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            may_import = re.sub(r"\([^)]*\)", "", cells[2])  # the asides in brackets name no package
            named = set(re.findall(r"\b(" + "|".join(sorted(ALLOWED, key=len, reverse=True)) + r")\b", may_import))
            table[cells[0].replace("`", "").rstrip("/").removesuffix(".py")] = named
    assert table == ALLOWED


def package_maps() -> dict[str, list[str]]:
    """{package: the modules its docstring's file map lists}, for the packages whose docstring has one."""
    maps = {}
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        listed = re.findall(r"^\s*(\w+\.py) {2,}\S", doc, re.MULTILINE)
        if listed:
            maps[init.parent.name] = listed
    return maps


@pytest.mark.parametrize("package", sorted(package_maps()))
def test_a_package_file_map_lists_every_module_and_only_modules_that_exist(package):
    listed = package_maps()[package]
    present = sorted(p.name for p in (PACKAGE / package).glob("*.py") if p.name != "__init__.py")
    assert sorted(listed) == present, f"dailypapers/{package}/__init__.py's file map: list exactly {present}"


def test_the_readme_map_is_the_packages_own_words():
    """README's "How it fits together" lists every package with the first line of its docstring."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## How it fits together", 1)[1].split("\n## ", 1)[0]
    for unit in ALLOWED:
        module = PACKAGE / unit / "__init__.py" if (PACKAGE / unit).is_dir() else PACKAGE / f"{unit}.py"
        doc = ast.get_docstring(ast.parse(module.read_text()))
        assert doc, f"{module} needs a docstring saying what it owns"
        first = re.sub(r"\s+", " ", doc.split("\n\n")[0]).strip()
        assert f"`{unit}/`" in section or f"`{unit}.py`" in section, f"README map misses {unit}"
        assert first in re.sub(r"\s+", " ", section), f"README map: {unit} should say {first!r}"


# store/ owns every SQL statement, one module per group of tables; the in-database index engines keep the SQL of
# their own tables (FTS5, tsvector, pgvector). Nothing else imports sqlalchemy: callers take the store's `Session`,
# `Engine` and errors from store/db.py.
IN_DATABASE_ENGINES = {
    "dailypapers/index/keyword_sql.py",
    "dailypapers/index/keyword_fts5.py",
    "dailypapers/index/keyword_postgres.py",
    "dailypapers/index/vectors_pgvector.py",
}


def test_only_the_store_and_the_in_database_engines_speak_sql():
    importers = {
        str(file.relative_to(ROOT))
        for file in PACKAGE.rglob("*.py")
        if file.relative_to(PACKAGE).parts[0] != "store"
        and any(name.split(".")[0] == "sqlalchemy" for name in imported_modules(file))
    }
    assert importers <= IN_DATABASE_ENGINES, f"move their SQL into store/: {sorted(importers - IN_DATABASE_ENGINES)}"
