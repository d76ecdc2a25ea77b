import re
import sqlite3
from pathlib import Path

import pytest

from dailypapers.errors import InvalidInput
from dailypapers.validators import arxiv_category
from tests.conftest import counts


@pytest.mark.slow
def test_every_command_has_help(cli):
    top = cli("--help")
    assert top.returncode == 0
    for name in ("import", "export", "stats", "demo", "serve", "db"):
        assert name in top.stdout
        result = cli(name, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_import_missing_file_is_one_line_error(cli, tmp_path):
    result = cli("import", str(tmp_path / "nope.jsonl"))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "nope.jsonl" in result.stderr


def test_bad_database_url_is_one_line_error(cli, tmp_path):
    result = cli("stats", env={"DAILYPAPERS_DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/x.db"})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.sqlite_only("reads the SQLite file directly")
def test_demo_loads_idempotently_with_marked_votes(cli, settings):
    first = cli("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert counts(cli("stats", "--json")) == {"papers": 64, "daily_entries": 64}
    assert cli("demo", "--no-serve").returncode == 0
    assert counts(cli("stats", "--json")) == {"papers": 64, "daily_entries": 64}

    db = sqlite3.connect(settings.data_dir / "dailypapers.db")
    assert db.execute("SELECT count(*) FROM votes WHERE NOT is_demo").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM votes").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM users WHERE NOT is_demo").fetchone()[0] == 0
    # Each paper's denormalised count equals its votes.
    bad = db.execute(
        "SELECT count(*) FROM papers p WHERE upvotes != (SELECT count(*) FROM votes v WHERE v.paper_id = p.id)"
    ).fetchone()[0]
    assert bad == 0
    days = db.execute("SELECT count(DISTINCT date) FROM daily_entries").fetchone()[0]
    assert days == 8


def test_each_command_loads_only_from_the_module_that_registers_it():
    import subprocess
    import sys

    from dailypapers.cli import COMMAND_MODULES, load_commands
    from dailypapers.commands import app

    load_commands([])  # every module
    registered = {c.name: c.callback.__module__ for c in app.registered_commands}
    registered |= {g.name: g.typer_instance.registered_commands[0].callback.__module__ for g in app.registered_groups}
    assert {name: f"dailypapers.commands.{module}" for name, module in COMMAND_MODULES.items()} == registered
    # and `import` does not pay for the digest's and the MCP server's libraries
    probe = (
        "import sys; from dailypapers.cli import load_commands; load_commands(['import', 'x.jsonl']); "
        "print(sorted(m for m in ('sklearn', 'mcp', 'dailypapers.commands.digest') if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args, message",
    [
        (["serach", "graphs"], "No such command 'serach'. Did you mean 'search'?"),
        (["users", "crate", "bob"], "No such command 'crate'. Did you mean 'create'?"),
        (["digest", "sned"], "No such command 'sned'. Did you mean 'send'?"),
        (["db", "upgarde"], "No such command 'upgarde'. Did you mean 'upgrade'?"),
        (["search", "graphs", "--bogus"], "No such option: --bogus"),
        (["users", "create"], "Missing argument 'username'"),
        (["search", "graphs", "--limit", "many"], "Invalid value for '--limit'"),
        (["recommend", "alice", "--days", "0"], "Invalid value for '--days'"),
        (["import", "no-such-file.jsonl"], "'no-such-file.jsonl' does not exist"),
        (["search", "--queries-file", "no-such-file.txt"], "'no-such-file.txt' does not exist"),
        (["search"], "give a query"),
        (["ingest"], "give arXiv ids, or --category"),
        (["ingest", "--since", "2026-01-01"], "--since goes with --category"),
    ],
)
def test_usage_errors_are_clicks_one_line_and_exit_2(capsys, tmp_path, monkeypatch, args, message):
    from dailypapers.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.strip().splitlines()
    assert line.startswith("error: ") and message in line and "unexpected" not in line
    if "No such" in message or "Invalid" in message:  # Click knows the command: it says where its help is
        assert re.search(r"\(see 'dailypapers[\w ]* --help'\)$", line)


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("DAILYPAPERS_LOG_FORMAT", "xml", "DAILYPAPERS_LOG_FORMAT: Input should be 'text' or 'json'"),
        ("DAILYPAPERS_ARXIV_DELAY", "soon", "DAILYPAPERS_ARXIV_DELAY: Input should be a valid number"),
        (
            "DAILYPAPERS_KEYWORD_ENGINE",
            "whoosh",
            "DAILYPAPERS_KEYWORD_ENGINE: Input should be 'tantivy', 'fts5' or 'postgres'",
        ),
        (
            "DAILYPAPERS_DIGEST_SEARCH_MODE",
            "fuzzy",
            "DAILYPAPERS_DIGEST_SEARCH_MODE: Input should be 'hybrid', 'keyword' or 'semantic'",
        ),
    ],
)
def test_a_bad_setting_is_named_in_one_line_and_exits_78(capsys, tmp_path, monkeypatch, variable, value, message):
    from dailypapers.cli import main
    from dailypapers.config import reset_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    reset_settings()
    try:
        assert main(["stats"]) == 78
    finally:
        reset_settings()
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {message}") and "unexpected" not in line


def test_a_group_named_alone_shows_its_help(capsys):
    from dailypapers.cli import main

    assert main(["users"]) == 2
    captured = capsys.readouterr()
    assert "create" in captured.out and captured.err.strip() == ""  # the commands it has, not an error


@pytest.mark.parametrize("command", [[], ["demo"], ["recommend"], ["export"], ["users", "create"]])
def test_help_names_no_value_type_for_a_flag(capsys, command):
    from dailypapers.cli import main

    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "--help" in text and "<bool>" not in text


def test_recommend_days_help_states_the_limit_it_enforces(capsys):
    from dailypapers.cli import main
    from dailypapers.ranking.recommend import MAX_WINDOW_DAYS, window_days

    main(["recommend", "--help"])
    assert f"1<=x<={MAX_WINDOW_DAYS}" in capsys.readouterr().out
    assert main(["recommend", "alice", "--days", str(MAX_WINDOW_DAYS + 1)]) == 2
    assert f"less than or equal to {MAX_WINDOW_DAYS}" in capsys.readouterr().err
    assert window_days(MAX_WINDOW_DAYS) == MAX_WINDOW_DAYS
    with pytest.raises(InvalidInput, match=f"between 1 and {MAX_WINDOW_DAYS}"):
        window_days(MAX_WINDOW_DAYS + 1)


def test_export_into_a_missing_folder_names_that_folder(cli, tmp_path):
    target = tmp_path / "missing" / "papers.jsonl"
    result = cli("export", str(target))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line == f"error: no such folder: {target.parent} (to export into {target})"
    assert ".partial" not in line and not target.parent.exists()


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("cs.LG", "cs.LG"),
        ("CS.lg", "cs.LG"),
        ("cs", "cs"),
        ("cond-mat.stat-mech", "cond-mat.stat-mech"),
        ("hep-th", "hep-th"),
        ("astro-ph.co", "astro-ph.CO"),
        ("physics.optics", "physics.optics"),
    ],
)
def test_known_categories_are_accepted_in_arxivs_spelling(text, canonical):
    assert arxiv_category(text) == canonical


@pytest.mark.parametrize("text", ["cs.ZZ", "math.XX", "hep-th.AB", "cond-mat.nope", "bogus", "cs.", "cs.LG.x"])
def test_categories_arxiv_does_not_have_are_refused(text):
    with pytest.raises(InvalidInput, match="not an arXiv category"):
        arxiv_category(text)


def test_every_category_that_comes_in_is_checked(settings):
    from dailypapers.digest.subscribe import validate_preferences
    from dailypapers.ingest.arxiv import normalize_categories
    from dailypapers.search import SearchQuery

    for check in (
        lambda: validate_preferences("daily", "", "cs.ZZ"),
        lambda: normalize_categories(["cs.ZZ"]),
        lambda: SearchQuery("graphs", category="cs.ZZ").validate(),
    ):
        with pytest.raises(InvalidInput, match="not an arXiv category"):
            check()
    assert SearchQuery("graphs", category="cs.lg").validate().category == "cs.LG"


def test_the_demo_data_readme_names_the_files_that_are_there():
    folder = Path(__file__).resolve().parents[1] / "dailypapers" / "data"
    readme = (folder / "README-demo-papers.md").read_text()
    named = set(re.findall(r"`([\w.-]+\.\w+)`", readme)) - {"demo.py"}
    assert named == {p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".md"}
    assert "authors' own" in readme  # the attribution stays
