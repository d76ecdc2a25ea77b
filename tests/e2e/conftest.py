"""Fixtures for the browser tests: Debian's Chromium through Playwright, one live site and one SMTP
server per test session, and a check on every page for console errors and 5xx answers."""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from dailypapers.ingest.demo import demo_records
from dailypapers.sources.records import PaperRecord
from dailypapers.sources.snapshot import record_to_export
from dailypapers.store.db import Session, make_engine
from dailypapers.store.feed import latest_feed_dates
from tests.e2e.harness import (
    CHROMIUM_FLAGS,
    PASSWORD,
    LiveSite,
    Mailbox,
    PageProblems,
    find_chromium,
    sign_up,
    unique_name,
)


def pytest_collection_modifyitems(config, items):
    """Browser tests run after all the others: Playwright's sync API keeps an asyncio loop running in the
    main thread from its first use to the end of the session, so an `asyncio.run()` in any later test
    would fail."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# Assertions wait up to 15 s (Playwright's default is 5): on a busy CI machine the site's first search loads
# the embedding model, and a digest run starts a whole process.
expect.set_options(timeout=15_000)

_running_sites: list[LiveSite] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test shows the end of the server's log (a 500's traceback is there)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _running_sites and item.get_closest_marker("browser"):
        report.sections.append(("dailypapers server log (last lines)", _running_sites[-1].log()))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:  # a failure, never a skip: a run without the browser tests must not look like a whole one
        pytest.fail(
            "Debian's chromium is not installed (make test-deps installs it as root; `make check` runs "
            "the tests that need no browser)"
        )
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path) -> dict:
    """pytest-playwright takes no executable path on the command line: launch the system Chromium here."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory, mailbox, chromium_path, demo_sqlite):
    """The whole site, served by `dailypapers serve` from a fresh data dir loaded with the demo."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(demo_sqlite, root / "data")
    live = LiveSite(root / "data", mailbox, root / "server.log")
    live.start()
    _running_sites.append(live)
    yield live
    _running_sites.remove(live)
    live.stop()


@pytest.fixture(scope="session")
def demo_day(demo_sqlite) -> date:
    """The demo's newest feed day, the day it was loaded: the feed's days count back from it. A test reads its
    dates from here, not from the clock, which may pass midnight between the loading and the test."""
    engine = make_engine(f"sqlite:///{demo_sqlite / 'dailypapers.db'}")
    try:
        with Session(engine) as session:
            return latest_feed_dates(session, date.max).latest
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def base_url(site) -> str:
    """Every browser context opens pages relative to the live site (page.goto("/papers"))."""
    return site.url


@pytest.fixture(autouse=True)
def page_problems(request):
    """Any test that uses `page` fails on a console error, an uncaught script error or a 5xx answer."""
    if "page" not in request.fixturenames:
        yield None
        return
    problems = PageProblems(request.getfixturevalue("page"))
    yield problems
    problems.check()


@pytest.fixture(scope="session")
def account(browser, base_url) -> dict:
    """One signed-up user for the session: {"username", "password", "state"} (state: cookies to reuse)."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    username = unique_name("reader")
    sign_up(page, username)
    state = context.storage_state()
    context.close()
    return {"username": username, "password": PASSWORD, "state": state}


@pytest.fixture(scope="session")
def librarian(browser, base_url, site) -> dict:
    """A second user, whose library holds 60 of the demo papers: more than one page of it (the pager)."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    username = unique_name("librarian")
    sign_up(page, username)
    state = context.storage_state()
    context.close()
    site.cli("library", "add", username, *[record.arxiv_id for record in demo_records()[:60]])
    return {"username": username, "password": PASSWORD, "state": state}


@pytest.fixture
def signed_in_page(new_context, account):
    """A page whose browser is signed in as `account`, watched like `page`."""
    page = new_context(storage_state=account["state"]).new_page()
    problems = PageProblems(page)
    page.problems = problems
    yield page
    problems.check()


@pytest.fixture(scope="session")
def fresh_paper(site, tmp_path_factory) -> PaperRecord:
    """A paper first published on arXiv today, in the store but not on the feed: it can be submitted.

    Imported with `dailypapers import` from a JSON-lines file in the export format.
    """
    now = datetime.now(UTC)
    record = PaperRecord(
        arxiv_id=f"{now:%y%m}.{secrets.randbelow(90000) + 10000:05d}",
        version=1,
        title="Submitting Papers Through the Browser: an End-to-End Check of the Daily Feed",
        abstract="A record made by the dailypapers browser tests. It is published today, so it may enter "
        "the daily feed, and nobody has submitted it yet.",
        authors=["Ada Tester", "Grace Checker"],
        categories=["cs.SE"],
        primary_category="cs.SE",
        published_at=now,
        updated_at=now,
    )
    path = tmp_path_factory.mktemp("import") / "fresh.jsonl"
    path.write_text(json.dumps(record_to_export(record)) + "\n")
    site.cli("import", str(path))
    return record
