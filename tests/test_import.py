import gzip
import json
import signal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from dailypapers.config import reset_settings
from dailypapers.faults import BATCH_UNCOMMITTED, FAULT_ENV
from dailypapers.index.engines import keyword_index
from dailypapers.index.protocols import KeywordQuery
from dailypapers.ingest.snapshot import import_file
from dailypapers.store.models import Paper
from tests.conftest import SAMPLE_20K, counts


def snapshot_line(arxiv_id: str, version: int = 1, title: str = "A title", **extra) -> str:
    versions = [{"version": f"v{n}", "created": f"Mon, {n} Jan 2024 10:00:00 GMT"} for n in range(1, version + 1)]
    obj = {
        "id": arxiv_id,
        "submitter": None,
        "authors": "Ada Lovelace and Alan Turing",
        "title": title,
        "comments": None,
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "cs.LG stat.ML",
        "license": None,
        "abstract": "We study things.",
        "versions": versions,
        "update_date": "2024-01-05",
        "authors_parsed": None,
        **extra,
    }
    return json.dumps(obj)


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_is_idempotent_and_versions_update(engine, tmp_path, session):
    src = write_lines(tmp_path / "a.jsonl", [snapshot_line("2401.00001"), snapshot_line("2401.00002")])
    first = import_file(engine, src, tmp_path / "rej.jsonl")
    assert (first.result.inserted, first.result.updated) == (2, 0)
    again = import_file(engine, src, tmp_path / "rej.jsonl")
    assert (again.result.inserted, again.result.updated, again.result.unchanged) == (0, 0, 2)

    newer = write_lines(tmp_path / "b.jsonl", [snapshot_line("2401.00001", version=2, title="Better title")])
    assert import_file(engine, newer, tmp_path / "rej.jsonl").result.updated == 1
    older = write_lines(tmp_path / "c.jsonl", [snapshot_line("2401.00001", version=1, title="Old title")])
    assert import_file(engine, older, tmp_path / "rej.jsonl").result.unchanged == 1
    papers = session.scalars(select(Paper).order_by(Paper.arxiv_id)).all()
    assert [(p.arxiv_id, p.version, p.title) for p in papers] == [
        ("2401.00001", 2, "Better title"),
        ("2401.00002", 1, "A title"),
    ]


def test_the_import_says_when_its_papers_are_in_and_the_keyword_index_syncs(engine, tmp_path):
    src = write_lines(tmp_path / "a.jsonl", [snapshot_line("2401.00001"), snapshot_line("2401.00002")])
    seen = []

    def stage(name: str) -> None:  # told once the last batch is in, before the keyword sync
        with engine.connect() as conn:
            seen.append((name, conn.execute(text("SELECT count(*) FROM papers")).scalar()))

    import_file(engine, src, tmp_path / "rej.jsonl", stage=stage)
    assert seen == [("keyword index: 2 papers written, indexing", 2)]


def test_missing_metadata_never_erases_known(engine, tmp_path, session):
    import_file(engine, write_lines(tmp_path / "a.jsonl", [snapshot_line("2401.00001", doi="10.1/x")]), tmp_path / "r")
    import_file(engine, write_lines(tmp_path / "b.jsonl", [snapshot_line("2401.00001", version=2)]), tmp_path / "r")
    paper = session.scalar(select(Paper))
    assert paper.version == 2 and paper.doi == "10.1/x"


def test_malformed_records_are_skipped_counted_and_logged(engine, tmp_path, session):
    src = write_lines(
        tmp_path / "mixed.jsonl",
        [
            snapshot_line("2401.00001"),
            "{not json",
            json.dumps(
                {
                    "id": "nonsense",
                    "title": "x",
                    "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 10:00:00 GMT"}],
                }
            ),
            json.dumps([1, 2]),
            snapshot_line("2401.00003", title=""),
            snapshot_line("2401.00004"),
        ],
    )
    report = import_file(engine, src, tmp_path / "rejects.jsonl")
    assert report.result.inserted == 2 and report.rejected == 4
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 3, 4, 5]
    assert "invalid JSON" in rejects[0]["reason"] and "not an arXiv id" in rejects[1]["reason"]
    assert "missing title" in rejects[3]["reason"]
    assert {p.arxiv_id for p in session.scalars(select(Paper))} == {"2401.00001", "2401.00004"}


@pytest.mark.slow
def test_cli_import_rejects_go_to_the_data_dir_named_by_the_file(cli, settings, tmp_path):
    src = write_lines(tmp_path / "mixed.jsonl", [snapshot_line("2401.00001"), "{not json"])
    result = cli("import", str(src), "--json")
    assert result.returncode == 0, result.stderr
    path = Path(json.loads(result.stdout)["rejects_file"])
    assert path.parent == settings.data_dir / "rejects"
    assert path.name.startswith("mixed.jsonl.") and path.name.endswith(".rejects.jsonl")
    [reject] = [json.loads(line) for line in path.read_text().splitlines()]
    assert (reject["line"], reject["record"]) == (2, "{not json")
    clean = write_lines(tmp_path / "clean.jsonl", [snapshot_line("2401.00002")])
    assert json.loads(cli("import", str(clean), "--json").stdout)["rejects_file"] is None
    assert list(path.parent.iterdir()) == [path]  # a clean run leaves no reject file


@pytest.mark.sqlite_only("FTS5 internals")
def test_gzip_and_fts_in_step(engine, tmp_path, session, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_KEYWORD_ENGINE", "fts5")
    reset_settings()
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(snapshot_line("2401.00001", title="Quantum walrus optimisation") + "\n")
    import_file(engine, path, tmp_path / "r")
    hits = session.execute(text("SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'walrus'")).all()
    assert len(hits) == 1
    import_file(
        engine, write_lines(tmp_path / "b.jsonl", [snapshot_line("2401.00001", 2, title="Penguin")]), tmp_path / "r"
    )
    assert session.execute(text("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'walrus'")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'penguin'")).scalar() == 1


@pytest.mark.slow
def test_full_real_sample_imports_and_reimports_unchanged(cli, tmp_path):
    first = cli("import", str(SAMPLE_20K), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["lines"] == 19995 and report["rejected"] == 0
    assert report["inserted"] == 19995
    stats = counts(cli("stats", "--json"))
    assert stats == {"papers": 19995, "daily_entries": 0}
    second = json.loads(cli("import", str(SAMPLE_20K), "--json").stdout)
    assert second["inserted"] == 0 and second["updated"] == 0 and second["unchanged"] == 19995
    assert counts(cli("stats", "--json")) == stats

    exported = tmp_path / "export.jsonl"
    assert cli("export", str(exported)).returncode == 0
    assert sum(1 for _ in exported.open()) == 19995
    third = json.loads(cli("import", str(exported), "--json").stdout)
    assert (third["inserted"], third["updated"], third["unchanged"]) == (0, 0, 19995)


@pytest.mark.slow
def test_a_killed_import_keeps_whole_batches_and_the_rerun_gives_exact_counts(cli, cli_process, engine, tmp_path):
    """SIGKILLed with its fourth batch written but not committed: the three committed batches stay, the fourth
    leaves no row, and the rerun ends with exactly the right rows."""
    src = write_lines(tmp_path / "big.jsonl", [snapshot_line(f"2402.{n:05d}") for n in range(6000)])
    args = ("import", str(src), "--batch-size", "1000")
    killed = cli_process(*args, env={FAULT_ENV: f"{BATCH_UNCOMMITTED}:4"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM papers")).scalar() == 3000
    rerun = cli(*args, "--json")
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["inserted"] == 3000 and report["unchanged"] == 3000
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT count(*), count(DISTINCT arxiv_id) FROM papers")).one()) == (6000, 6000)
    assert keyword_index(engine).count(KeywordQuery(terms=("things",)), 6000) == 6000  # all searchable
