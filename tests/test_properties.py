"""Property-based tests of every parser of outside input: arXiv ids, the JSON-lines snapshot, the arXiv API's
Atom, OAI-PMH records and search queries. Whatever comes in, a parser either gives a record the store can
keep and a page or feed can show, or says no with the project's own error; it never crashes."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dailypapers.digest.tokens import BadToken, TokenSubject, make_token, read_token
from dailypapers.errors import InvalidInput, SourceError
from dailypapers.index.keyword_fts5 import match_expression
from dailypapers.index.keyword_postgres import to_tsquery_text
from dailypapers.search import SearchQuery
from dailypapers.search.filters import build_filters
from dailypapers.search.keywords import parse_keyword_query
from dailypapers.sources.arxiv_api import parse_feed
from dailypapers.sources.ids import ArxivId, parse_arxiv_id
from dailypapers.sources.oai import parse_list_records
from dailypapers.sources.records import DATES, LINES, LINKS, MAX_CHARS, PaperRecord, clean_text
from dailypapers.sources.snapshot import iter_jsonl, parse_any_record, record_to_export
from dailypapers.store.models import Paper
from dailypapers.validators import MAX_URL_CHARS, http_url, xml_safe

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every character, lone surrogates and C0 controls included; and those an XML document can carry.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)
XML_CHAR = st.characters(exclude_categories=("Cs",)).filter(lambda c: xml_safe(c) == c)
XML_TEXT = st.text(XML_CHAR, max_size=60)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def arxiv_ids(draw) -> ArxivId:
    """A real identifier: new style (four-digit numbers to 2014, five after) or old style."""
    if draw(st.booleans()):
        year, month = draw(st.integers(7, 40)), draw(st.integers(1, 12))
        digits = 5 if year >= 15 else 4
        number = draw(st.integers(1, 10**digits - 1))
        canonical = f"{year:02d}{month:02d}.{number:0{digits}d}"
    else:
        archive = draw(st.sampled_from(["hep-th", "math", "astro-ph", "cond-mat", "quant-ph", "cs"]))
        canonical = (
            f"{archive}/{draw(st.integers(91, 99)):02d}{draw(st.integers(1, 12)):02d}{draw(st.integers(1, 999)):03d}"
        )
    return ArxivId(canonical, draw(st.none() | st.integers(1, 30)))


def assert_storable(record: PaperRecord) -> None:
    """What the store, the pages and the feeds rely on."""
    assert parse_arxiv_id(record.arxiv_id) == ArxivId(record.arxiv_id)
    assert isinstance(record.version, int) and record.version >= 1
    assert record.title and all(isinstance(a, str) and a for a in record.authors)
    texts = [record.title, record.abstract, *record.authors, *record.categories]
    texts += [getattr(record, name) or "" for name in (*LINES, "primary_category")]
    assert all(xml_safe(text) == text for text in texts)
    for name, limit in MAX_CHARS.items():
        assert len(getattr(record, name) or "") <= limit
    for url in (getattr(record, name) for name in LINKS):
        assert url is None or http_url(url) == url
    for moment in (getattr(record, name) for name in DATES):
        assert moment is None or moment.tzinfo is not None


def test_the_column_widths_the_records_check_are_the_stores():
    columns = Paper.__table__.c
    assert {name: columns[name].type.length for name in MAX_CHARS} == MAX_CHARS
    assert columns["code_url"].type.length == columns["project_page"].type.length == MAX_URL_CHARS


# arXiv ids


@PROPERTY
@given(ANY_TEXT)
def test_any_text_is_an_id_or_invalid_input(text):
    try:
        parsed = parse_arxiv_id(text)
    except InvalidInput:
        return
    assert parse_arxiv_id(parsed.id) == ArxivId(parsed.id)  # the canonical form is a fixed point


@PROPERTY
@given(
    arxiv_ids(),
    st.sampled_from(
        [
            "{}",
            "arXiv:{}",
            "https://arxiv.org/abs/{}",
            "http://export.arxiv.org/pdf/{}",
            "arxiv.org/pdf/{}.pdf",
            " {}/ ",
            "https://www.arxiv.org/html/{}?x=1#s",
        ]
    ),
)
def test_every_written_form_of_an_id_parses_to_it(arxiv_id, form):
    assert parse_arxiv_id(form.format(arxiv_id)) == arxiv_id


# links and text


@PROPERTY
@given(
    ANY_TEXT
    | st.sampled_from(
        [
            "javascript:alert(1)",
            " JAVASCRIPT:x",
            "data:text/html,x",
            "https://a.org/x",
            "http://[::1",
            "//host/x",
            "https://",
        ]
    )
)
def test_a_checked_link_is_http_with_a_host_and_checking_twice_changes_nothing(value):
    url = http_url(value)
    if url is not None:
        assert url.lower().startswith(("http://", "https://")) and len(url) <= MAX_URL_CHARS
        assert xml_safe(url) == url and http_url(url) == url


@PROPERTY
@given(ANY_TEXT)
def test_clean_text_is_xml_safe_trimmed_and_idempotent(text):
    cleaned = clean_text(text)
    if cleaned is not None:
        assert xml_safe(cleaned) == cleaned and cleaned == cleaned.strip() and clean_text(cleaned) == cleaned


# Text with the spaces, wraps and separators arXiv metadata carries, among any other character.
SPACED_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from(" \t\n\r\u00a0\u2028\u3000"), max_size=60)


@PROPERTY
@given(SPACED_TEXT)
@example("Ada  Lovelace")
@example(" cs.LG")
@example("cs.LG ")
@example("")
def test_clean_text_is_the_collapsed_xml_safe_text(text):
    # its short path for text that is clean already must agree with the whole cleaning
    assert clean_text(text) == (" ".join(xml_safe(text, " ").split()) or None)


@PROPERTY
@given(SPACED_TEXT)
@example("https://example.org/a b")
@example("https://example.org/a\u00a0b")
def test_a_link_with_a_space_anywhere_is_refused(text):
    url = ("https://example.org/" + text).strip()
    assert (http_url(url) is None) == (any(c.isspace() for c in url) or xml_safe(url) != url)


# the JSON-lines snapshot and our export

SNAPSHOT_LINE = {
    "id": "2401.00001",
    "submitter": "Ada",
    "authors": "Ada Lovelace and Alan Turing",
    "title": "A title",
    "comments": None,
    "journal-ref": None,
    "doi": None,
    "report-no": None,
    "categories": "cs.LG",
    "license": None,
    "abstract": "We study things.",
    "update_date": "2024-01-05",
    "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 10:00:00 GMT"}],
    "authors_parsed": [["Lovelace", "Ada", ""]],
}
EXPORT_LINE = {
    "arxiv_id": "2401.00001",
    "version": 1,
    "title": "A title",
    "abstract": "",
    "authors": ["Ada"],
    "categories": ["cs.LG"],
    "primary_category": "cs.LG",
    "published_at": "2024-01-01",
    "updated_at": None,
    "comments": None,
    "journal_ref": None,
    "doi": None,
    "license": None,
    "submitter": None,
    "report_no": None,
    "code_url": None,
    "project_page": None,
}


@PROPERTY
@given(
    st.sampled_from([SNAPSHOT_LINE, EXPORT_LINE]).flatmap(
        lambda line: st.dictionaries(st.sampled_from(sorted(line)), JSON, max_size=5).map(lambda bad: {**line, **bad})
    )
)
@example({**SNAPSHOT_LINE, "versions": ["v1"]})
@example({**SNAPSHOT_LINE, "authors_parsed": [[True]]})
@example({**SNAPSHOT_LINE, "categories": True})
@example({**EXPORT_LINE, "categories": 5})
@example({**SNAPSHOT_LINE, "versions": [{"version": "v1", "created": None}, {"version": "v1", "created": "x"}]})
def test_a_json_record_with_any_field_spoiled_is_a_record_or_invalid_input(obj):
    try:
        record = parse_any_record(obj)
    except InvalidInput:
        return
    assert_storable(record)


@PROPERTY
@given(st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()))
@example(b"[" * 5000)
@example(b'{"arxiv_id": "2401.00001", "title": "t", "version": ' + b"9" * 5000 + b"}")
def test_any_bytes_read_as_lines_never_raise(data):
    for line in iter_jsonl(iter(data.splitlines(keepends=True))):
        assert (line.record is None) != (line.error is None)
        if line.record is not None:
            assert_storable(line.record)


@PROPERTY
@given(
    arxiv_ids(),
    st.integers(1, 9),
    XML_TEXT.filter(lambda t: clean_text(t)),
    ANY_TEXT,
    st.lists(ANY_TEXT, max_size=3),
    st.none() | ANY_TEXT,
    st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_an_exported_record_imports_back_as_itself(arxiv_id, version, title, abstract, authors, code_url, when):
    record = PaperRecord(
        arxiv_id=arxiv_id.id,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=["cs.LG"],
        published_at=when,
        code_url=code_url,
    ).validate()
    assert_storable(record)
    again = parse_any_record(json.loads(json.dumps(record_to_export(record))))
    assert again == record


# the arXiv API's Atom


def atom_feed(entries: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>{''.join(entries)}</feed>"
    ).encode(errors="surrogatepass")


@st.composite
def atom_entries(draw) -> str:
    text = draw(st.sampled_from([XML_TEXT, st.just("")]))
    entry_id = draw(arxiv_ids().map(lambda a: f"http://arxiv.org/abs/{a}") | XML_TEXT)
    published = draw(st.sampled_from(["2024-01-01T10:00:00Z", "", "Mon, 1 Jan 2024", "2024-13-45"]) | XML_TEXT)
    authors = "".join(f"<author><name>{escape(name)}</name></author>" for name in draw(st.lists(XML_TEXT, max_size=3)))
    categories = "".join(f"<category term={quoteattr(term)}/>" for term in draw(st.lists(XML_TEXT, max_size=3)))
    return (
        f"<entry><id>{escape(entry_id)}</id><title>{escape(draw(text))}</title>"
        f"<summary>{escape(draw(XML_TEXT))}</summary><published>{escape(published)}</published>"
        f"<updated>{escape(published)}</updated>{authors}{categories}"
        f"<arxiv:comment>{escape(draw(XML_TEXT))}</arxiv:comment><arxiv:doi>{escape(draw(XML_TEXT))}</arxiv:doi>"
        "</entry>"
    )


@PROPERTY
@given(st.lists(atom_entries(), max_size=4))
def test_each_atom_entry_is_a_record_or_an_entry_error(entries):
    page = parse_feed(atom_feed(entries))
    assert page.entries <= len(entries)
    for record in page.records:
        assert_storable(record)


@PROPERTY
@given(arxiv_ids(), XML_TEXT.filter(lambda t: clean_text(t)), XML_TEXT)
def test_a_well_formed_atom_entry_gives_its_paper(arxiv_id, title, summary):
    entry = (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}</id><title>{escape(title)}</title>"
        f"<summary>{escape(summary)}</summary><published>2024-01-01T10:00:00Z</published>"
        "<author><name>Ada Lovelace</name></author></entry>"
    )
    [record] = parse_feed(atom_feed([entry])).records
    assert (record.arxiv_id, record.version) == (arxiv_id.id, arxiv_id.version or 1)
    assert (record.title, record.abstract) == (clean_text(title), clean_text(summary) or "")


@PROPERTY
@given(st.binary(max_size=300) | ANY_TEXT.map(lambda t: atom_feed([f"<entry><title>{t}</title></entry>"])))
def test_any_api_answer_parses_or_is_a_source_error(data):
    try:
        page = parse_feed(data)
    except SourceError:
        return
    for record in page.records:
        assert_storable(record)


# OAI-PMH records


def oai_page(records: list[str], token: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        f"<ListRecords>{''.join(records)}{token}</ListRecords></OAI-PMH>"
    ).encode(errors="surrogatepass")


@st.composite
def oai_records(draw) -> str:
    identifier = draw(arxiv_ids().map(lambda a: a.id) | XML_TEXT)
    field = lambda: escape(draw(XML_TEXT))  # noqa: E731 - a fresh drawn text per field
    date_text = draw(st.sampled_from(["Mon, 1 Jan 2024 10:00:00 GMT", "2024-01-01", ""]) | XML_TEXT)
    if draw(st.booleans()):
        versions = "".join(
            f"<version version={quoteattr(label)}><date>{escape(date_text)}</date></version>"
            for label in draw(st.lists(st.sampled_from(["v1", "v2", "v0", "x", ""]) | XML_TEXT, max_size=3))
        )
        meta = (
            f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{escape(identifier)}</id>'
            f"<title>{field()}</title><abstract>{field()}</abstract><authors>{field()}</authors>"
            f"<categories>{field()}</categories><comments>{field()}</comments>{versions}</arXivRaw>"
        )
    else:
        meta = (
            f'<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{escape(identifier)}</id>'
            f"<created>{escape(date_text)}</created><title>{field()}</title><abstract>{field()}</abstract>"
            f"<authors><author><keyname>{field()}</keyname><forenames>{field()}</forenames></author></authors>"
            f"<categories>{field()}</categories><doi>{field()}</doi></arXiv>"
        )
    status = ' status="deleted"' if draw(st.booleans()) and draw(st.booleans()) else ""
    return (
        f"<record><header{status}><identifier>oai:arXiv.org:{escape(identifier)}</identifier></header>"
        f"<metadata>{meta}</metadata></record>"
    )


@PROPERTY
@given(
    st.lists(oai_records(), max_size=4),
    st.sampled_from(["", '<resumptionToken cursor="x">t</resumptionToken>', '<resumptionToken completeListSize="9"/>']),
)
def test_each_oai_record_is_a_record_an_error_or_a_deletion(records, token):
    page = parse_list_records(oai_page(records, token))
    assert len(page.records) + len(page.errors) + len(page.deleted) == len(records)
    for record in page.records:
        assert_storable(record)


@PROPERTY
@given(st.binary(max_size=300) | ANY_TEXT.map(lambda t: oai_page([f"<record>{t}</record>"])))
def test_any_oai_answer_parses_or_is_a_source_error(data):
    try:
        page = parse_list_records(data)
    except SourceError:
        return
    for record in page.records:
        assert_storable(record)


# search queries


@pytest.fixture(scope="module")
def fts():
    """An FTS5 table shaped like the keyword index, to ask SQLite itself whether an expression is valid."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE papers_fts USING fts5(title, authors, abstract, categories)")
    db.execute("INSERT INTO papers_fts VALUES ('Graph networks', 'Ada Lovelace', 'We study graphs.', 'cs.LG')")
    yield db
    db.close()


@PROPERTY
@given(
    ANY_TEXT,
    st.none() | ANY_TEXT,
    st.none() | ANY_TEXT,
    st.sampled_from(["hybrid", "keyword", "x"]),
    st.integers(-5, 300),
    st.integers(-5, 2000),
)
@example('"unclosed phrase', None, None, "keyword", 20, 0)
@example("NEAR(a b) OR AND NOT * ^ :", 'A. Author "', "cs.LG OR", "keyword", 20, 0)
def test_any_query_is_refused_cleanly_or_becomes_a_valid_match(fts, text, author, category, mode, limit, offset):
    try:
        query = SearchQuery(
            text=text, mode=mode, limit=limit, offset=offset, author=author, category=category
        ).validate()
        match = match_expression(parse_keyword_query(query.text), build_filters(query))
    except InvalidInput:
        return
    fts.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (match,)).fetchone()
    assert to_tsquery_text(match)  # and PostgreSQL gets the same expression translated


# signed links


@PROPERTY
@given(st.integers(1, 10**9), st.integers(1, 1000), st.data())
def test_a_signed_link_changed_anywhere_is_refused(token_secret, subscriber_id, version, data):
    token = make_token(TokenSubject(subscriber_id, version), "manage", token_secret)
    position = data.draw(st.integers(0, len(token) - 1))
    other = data.draw(st.characters(exclude_categories=()).filter(lambda c: c != token[position]))
    with pytest.raises(BadToken):
        read_token(token[:position] + other + token[position + 1 :], "manage", token_secret)
    assert read_token(token, "manage", token_secret) == (subscriber_id, version)


@pytest.fixture(scope="module")
def token_secret():
    return "a test key"
