"""A fast start: a search loads what searching needs, and the schema check agrees with alembic without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import text

from dailypapers.store.db import get_engine, migration_heads, schema_problem
from tests.conftest import ROOT

# Libraries a search must not pay for at start: migrations, index building (scikit-learn), torch.
NOT_FOR_SEARCH = ("alembic", "sklearn", "torch", "transformers", "dailypapers.index.build")
NOT_AT_START = ("sklearn", "scipy", "torch", "transformers")  # for the site


def test_the_schema_check_finds_alembics_heads(engine):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "dailypapers" / "store" / "migrations"))
    assert migration_heads() == set(ScriptDirectory.from_config(config).get_heads())
    assert schema_problem(engine) is None
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0001_initial_schema')"))
    assert schema_problem(engine) == "was made by another version of dailypapers"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert schema_problem(engine) == "is not set up yet"


def test_a_search_imports_neither_migrations_nor_index_building(settings):
    """`dailypapers search` in a process of its own; which heavy modules it loaded, it prints last."""
    get_engine()  # the test's database, migrated
    code = (
        "import sys, json\n"
        "from dailypapers.cli import main\n"
        "code = main(['search', 'graph neural networks', '--limit', '3'])\n"
        f"print(json.dumps([code] + sorted(m for m in {NOT_FOR_SEARCH!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0]


def test_the_stop_words_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from dailypapers.index import words

    assert words.ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS


def test_the_site_starts_without_scikit_learn_or_torch(settings):
    """The web app, made as `serve` makes it, in a process of its own; scikit-learn loads at a reader's first
    "For you", not at start."""
    code = (
        "import sys, json\n"
        "from dailypapers.web.app import create_app\n"
        "create_app()\n"
        f"print(json.dumps(sorted(m for m in {NOT_AT_START!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
