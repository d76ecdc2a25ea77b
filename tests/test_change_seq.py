"""Every store function that writes a field a keyword index holds bumps `papers.change_seq` itself: no caller
has to remember to tell the indexes (tantivy and FTS5 catch up from it)."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest

from dailypapers.sources.records import PaperRecord
from dailypapers.store import papers
from dailypapers.store.papers import paper_row, set_hidden, set_links, upsert_papers, upsert_rows
from dailypapers.store.reads import get_paper, last_change_seq

PAPER = PaperRecord(arxiv_id="2601.00042", version=1, title="Wombat burrows", abstract="How wombats dig.")

# The writes of indexed fields (title, abstract, authors, categories, dates, code link, hidden), each made on a
# stored paper.
WRITES = {
    "upsert_papers, a new paper": lambda s, p: upsert_papers(s.connection(), [replace(PAPER, arxiv_id="2601.00043")]),
    "upsert_papers, a new version": lambda s, p: upsert_papers(s.connection(), [replace(PAPER, version=2)]),
    "upsert_rows": lambda s, p: upsert_rows(s.connection(), [paper_row(replace(PAPER, title="Wombat tunnels"))]),
    "set_hidden": lambda s, p: set_hidden(s, p, True),
    "set_links": lambda s, p: set_links(s, p, code_url="https://github.com/wombat/burrows", project_page=None),
}
# The rest of store/papers.py: reads, conversions, and the daily feed's entries (no indexed field).
NOT_WRITING_INDEXED_FIELDS = {"paper_row", "next_change_seq", "paper_to_record", "iter_records", "add_daily_entry"}


def test_every_function_of_the_papers_module_is_listed_here():
    public = {
        name
        for name, value in vars(papers).items()
        if inspect.isfunction(value) and value.__module__ == papers.__name__ and not name.startswith("_")
    }
    written = {name.split(",")[0] for name in WRITES}
    assert public == written | NOT_WRITING_INDEXED_FIELDS, "say whether a new papers function writes an indexed field"


@pytest.mark.parametrize("write", WRITES)
def test_each_write_of_an_indexed_field_bumps_the_change_number(session, write):
    upsert_papers(session.connection(), [PAPER])
    session.commit()
    before = last_change_seq(session.connection())
    WRITES[write](session, get_paper(session, PAPER.arxiv_id))
    session.commit()
    assert last_change_seq(session.connection()) > before
