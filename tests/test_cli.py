import json
import sqlite3

import pytest


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


@pytest.mark.sqlite_only("reads the SQLite file directly")
def test_demo_loads_idempotently_with_marked_votes(cli, settings):
    first = cli("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert json.loads(cli("stats", "--json").stdout) == {"papers": 64, "daily_entries": 64}
    assert cli("demo", "--no-serve").returncode == 0
    assert json.loads(cli("stats", "--json").stdout) == {"papers": 64, "daily_entries": 64}

    db = sqlite3.connect(settings.data_dir / "dailypapers.db")
    assert db.execute("SELECT count(*) FROM votes WHERE NOT is_demo").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM votes").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM users WHERE NOT is_demo").fetchone()[0] == 0
    # Each paper's denormalised count equals its votes.
    bad = db.execute("SELECT count(*) FROM papers p WHERE upvotes != (SELECT count(*) FROM votes v "
                     "WHERE v.paper_id = p.id)").fetchone()[0]
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
    probe = ("import sys; from dailypapers.cli import load_commands; load_commands(['import', 'x.jsonl']); "
             "print(sorted(m for m in ('sklearn', 'mcp', 'dailypapers.commands.digest') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
