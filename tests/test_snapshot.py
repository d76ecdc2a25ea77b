import json
from datetime import UTC, datetime

import pytest

from dailypapers.errors import InvalidInput
from dailypapers.sources.records import FIELDS
from dailypapers.sources.snapshot import parse_any_record, record_to_export, split_authors
from dailypapers.store.papers import ROW_COLUMNS, paper_to_record, upsert_papers
from dailypapers.store.reads import get_paper

NATIVE = {
    "id": "0704.0002",
    "submitter": "Louis Theran",
    "authors": "Ileana Streinu and Louis Theran",
    "title": "Sparsity-certifying Graph Decompositions",
    "comments": "To appear in Graphs and Combinatorics",
    "journal-ref": None,
    "doi": None,
    "report-no": None,
    "categories": "math.CO cs.CG",
    "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    "abstract": "  We describe a new algorithm, the $(k,\\ell)$-pebble game with colors, and use\nit obtain a",
    "versions": [
        {"version": "v1", "created": "Sat, 31 Mar 2007 02:26:18 GMT"},
        {"version": "v2", "created": "Sat, 13 Dec 2008 17:26:00 GMT"},
    ],
    "update_date": "2008-12-13",
    "authors_parsed": [["Streinu", "Ileana", ""], ["Theran", "Louis", ""]],
}


def test_native_snapshot_record():
    r = parse_any_record(NATIVE)
    assert r.arxiv_id == "0704.0002"
    assert r.version == 2
    assert r.authors == ["Ileana Streinu", "Louis Theran"]
    assert r.categories == ["math.CO", "cs.CG"] and r.primary_category == "math.CO"
    assert r.published_at == datetime(2007, 3, 31, 2, 26, 18, tzinfo=UTC)
    assert r.updated_at == datetime(2008, 12, 13, 17, 26, tzinfo=UTC)
    assert r.abstract.startswith("We describe a new algorithm") and "\n" not in r.abstract
    assert r.license.startswith("http://arxiv.org/licenses")


def test_authors_string_when_parsed_is_missing():
    rec = dict(NATIVE, authors_parsed=None, authors="A. One, B. Two and\n C. Three")
    assert parse_any_record(rec).authors == ["A. One", "B. Two", "C. Three"]
    assert split_authors("Solo Author") == ["Solo Author"]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"id": None}, "missing id"),
        ({"title": "  "}, "missing title"),
        ({"versions": []}, "no versions"),
        ({"id": "garbage"}, "not an arXiv id"),
        ({"versions": [{"version": "x1", "created": "x"}]}, "bad version"),
        ({"versions": [{"version": "v1", "created": "yesterday"}]}, "not a date"),
    ],
)
def test_malformed_records_say_why(change, reason):
    with pytest.raises(InvalidInput, match=reason):
        parse_any_record(dict(NATIVE, **change))


def test_export_round_trip_is_exact():
    r = parse_any_record(NATIVE)
    r.code_url = "https://github.com/example/repo"
    again = parse_any_record(json.loads(json.dumps(record_to_export(r))))
    assert again == r
    assert again.content_hash() == r.content_hash()


def test_every_field_of_a_record_travels_through_the_export_format_and_the_store(session):
    record = parse_any_record(
        dict(NATIVE, **{"journal-ref": "J. Graphs 1 (2008)", "doi": "10.1000/pebble", "report-no": "R-7"})
    )
    record.code_url, record.project_page = "https://github.com/example/pebble", "https://example.org/pebble"
    assert all(getattr(record, name) not in (None, "", []) for name in FIELDS)  # a new field needs a value here
    exported = record_to_export(record)
    assert list(exported) == ["format", *FIELDS]
    assert parse_any_record(json.loads(json.dumps(exported))) == record
    upsert_papers(session.connection(), [record])
    assert ROW_COLUMNS[: len(FIELDS)] == FIELDS
    assert paper_to_record(get_paper(session, record.arxiv_id)) == record


def test_seed_shape_with_nulls():
    r = parse_any_record(
        {
            "arxiv_id": "2410.06241",
            "title": "BroadWay",
            "authors": ["A B"],
            "published": None,
            "primary_category": None,
            "abstract": "x",
            "authors_complete": True,
            "source": "s",
        }
    )
    assert r.published_at is None and r.categories == [] and r.version == 1
