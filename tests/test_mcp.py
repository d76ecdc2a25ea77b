"""The MCP server, through the SDK's own client: over stdio (`dailypapers mcp`) and streamable HTTP (/mcp)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, get_default_environment
from mcp.shared.exceptions import MCPError
from sqlalchemy import text

from dailypapers.mcp_server.server import build_server
from tests.web_helpers import free_port, live_server

TOOLS = {"search_papers", "get_paper", "read_paper", "daily_papers", "trending", "related_papers"}
TIME_R1 = "2505.13508"
MEANING = "teaching language models to reason about when events happened and to predict the future"


@pytest.fixture
def demo_env(demo):
    """The environment of a `dailypapers` process serving this test's copy of the indexed demo."""
    return {**os.environ, "DAILYPAPERS_DATA_DIR": str(demo.data_dir)}


def _data(result):
    assert not result.is_error, result.content
    return json.loads(result.content[0].text) if result.structured_content is None else result.structured_content


async def _exercise(target) -> None:
    async with Client(target) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} >= TOOLS
        found = _data(await client.call_tool("search_papers", {"query": MEANING, "mode": "semantic", "limit": 5}))
        found = found.get("result", found)
        assert TIME_R1 in [paper["id"] for paper in found][:3]
        paper = _data(await client.call_tool("get_paper", {"id": TIME_R1}))
        assert paper["title"].startswith("Time-R1")
        assert paper["ai_keywords"] and paper["ai_summary"]  # `dailypapers demo` indexed it
        text = (await client.call_tool("read_paper", {"id": TIME_R1})).content[0].text
        assert text.startswith("# Time-R1") and "## Abstract" in text
        assert f"Keywords: {', '.join(paper['ai_keywords'])}" in text
        assert "## Summary (extractive" in text and paper["ai_summary"].strip() in text
        daily = _data(await client.call_tool("daily_papers", {}))
        assert len(daily.get("result", daily)) == 20
        trending = _data(await client.call_tool("trending", {"limit": 3}))
        assert len(trending.get("result", trending)) == 3
        near = _data(await client.call_tool("related_papers", {"id": TIME_R1, "limit": 3}))
        assert TIME_R1 not in [p["id"] for p in near.get("result", near)]
        missing = await client.call_tool("get_paper", {"id": "2501.99999"})
        assert missing.is_error and missing.content[0].text.endswith("no paper 2501.99999")


@pytest.mark.slow
def test_stdio(demo_env):
    asyncio.run(
        _exercise(StdioServerParameters(command=sys.executable, args=["-m", "dailypapers.cli", "mcp"], env=demo_env))
    )


@contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """`dailypapers serve` on a free port, its stderr written to `log`; yields the site's address."""
    port = free_port()
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                httpx.get(base + "/about", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the site did not come up"
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.slow
def test_streamable_http(demo_env, tmp_path):
    with _serving(demo_env, tmp_path / "serve.log") as base:
        asyncio.run(_exercise(f"{base}/mcp"))


HUGE_ID = "2505.13508" + "9" * 100_000


def _error_text(result) -> str:
    assert result.is_error
    return result.content[0].text


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("get_paper", {"id": HUGE_ID}, "at most 300 characters"),
        ("read_paper", {"id": HUGE_ID}, "at most 300 characters"),
        ("related_papers", {"id": HUGE_ID}, "at most 300 characters"),
        ("get_paper", {"id": "2501.99999"}, "no paper 2501.99999"),
        ("get_paper", {"id": "not an id"}, "no paper not an id"),
        ("related_papers", {"id": TIME_R1, "limit": 51}, "less than or equal to 50"),
        ("trending", {"limit": 0}, "greater than or equal to 1"),
        ("daily_papers", {"date": "2025-02-30"}, "not a date (YYYY-MM-DD): '2025-02-30'"),
        ("daily_papers", {"week": "2025-W60"}, "not an ISO week"),
        ("daily_papers", {"date": "2025-01-01", "month": "2025-01"}, "give at most one of date, week and month"),
        ("daily_papers", {"month": "2025-01" * 1000}, "at most 7 characters"),
        ("search_papers", {"query": "time", "filters": {"category": "cs.NOPE"}}, "not an arXiv category: 'cs.NOPE'"),
        ("search_papers", {"query": "time", "filters": {"category": "cs" * 50_000}}, "at most 40 characters"),
        ("search_papers", {"query": "time", "filters": {"date_from": "yesterday"}}, "not a date"),
        ("search_papers", {"query": "time" * 100}, "at most 250 characters"),
        ("search_papers", {"query": "time", "mode": "psychic"}, "'hybrid', 'keyword' or 'semantic'"),
    ],
)
def test_bad_arguments_are_tool_errors_that_are_not_logged(demo, caplog, tool, arguments, says):
    """Every argument goes through the site's shared types: a refusal is one line to the caller, and nothing
    in the server's log (no traceback, not the argument)."""
    caplog.set_level(logging.DEBUG)

    async def call():
        async with Client(build_server()) as client:
            return await client.call_tool(tool, arguments)

    started = time.monotonic()
    assert says in _error_text(asyncio.run(call()))
    assert time.monotonic() - started < 10  # refused unread: a 100,000-character id costs nothing
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.WARNING]
    assert not [record for record in caplog.records if str(next(iter(arguments.values())))[:20] in record.getMessage()]


@pytest.mark.slow
def test_bad_calls_neither_stall_the_site_nor_fill_its_log(demo_env, tmp_path):
    """Two clients looping on a 100,000-character id and an unknown one: each answer is a quick tool error,
    the site's other requests go on answering, and the server's log holds no traceback and no argument."""
    log = tmp_path / "serve.log"
    with _serving(demo_env, log) as base:

        async def bad_calls(done: list[int], stop: asyncio.Event) -> None:
            async with Client(f"{base}/mcp") as client:
                while not stop.is_set():
                    assert (await client.call_tool("get_paper", {"id": HUGE_ID})).is_error
                    assert (await client.call_tool("read_paper", {"id": "2501.99999"})).is_error
                    done.append(1)

        async def meanwhile() -> list[float]:
            done, stop, waits = [], asyncio.Event(), []
            callers = [asyncio.create_task(bad_calls(done, stop)) for _ in range(2)]
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                while len(done) < 20:  # the bad calls keep coming while the site answers others
                    started = time.monotonic()
                    assert (await http.get(f"/api/papers?limit=5&p={len(waits)}")).status_code == 200
                    waits.append(time.monotonic() - started)
                    assert not any(caller.done() for caller in callers), [c.exception() for c in callers if c.done()]
            stop.set()
            await asyncio.gather(*callers)
            return waits

        waits = asyncio.run(asyncio.wait_for(meanwhile(), 120))
    assert sorted(waits)[len(waits) // 2] < 1 and max(waits) < 10, waits
    written = log.read_text()
    assert "Traceback" not in written and "9" * 200 not in written and "2501.99999" not in written, written[-2000:]


def _client_env() -> dict[str, str]:
    """What an MCP client hands the server it starts: the SDK's safe subset of the environment (no
    DAILYPAPERS_* setting), and the import path of this checkout."""
    return {**get_default_environment(), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}


def _readme_stdio_entry() -> dict:
    """The stdio client configuration the README gives."""
    section = (Path(__file__).resolve().parents[1] / "README.md").read_text().split("## Agents (MCP)")[1]
    return json.loads(re.search(r"```json\n(.*?)```", section, re.S)[1])["mcpServers"]["dailypapers"]


@pytest.mark.sqlite_only("--data-dir names the SQLite store's folder")
def test_stdio_started_elsewhere_with_data_dir(demo, tmp_path):
    """A client configured as the README shows: `dailypapers mcp --data-dir DIR`, started in another folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    entry = _readme_stdio_entry()
    assert entry["command"].endswith("/bin/dailypapers") and entry["args"][:2] == ["mcp", "--data-dir"]
    args = [str(demo.data_dir) if arg == "/srv/dailypapers/data" else arg for arg in entry["args"]]

    async def check():
        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "dailypapers.cli", *args],
            env={**_client_env(), **entry["env"]},
            cwd=str(elsewhere),
        )
        async with Client(server) as client:
            paper = _data(await client.call_tool("get_paper", {"id": TIME_R1}))
            assert paper["title"].startswith("Time-R1")
            assert paper["url"] == f"{entry['env']['DAILYPAPERS_BASE_URL']}/papers/{TIME_R1}"

    asyncio.run(check())
    assert list(elsewhere.iterdir()) == []


def _start(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "mcp", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_server_without_a_store_says_so_at_start_and_exits(tmp_path):
    started = _start([], _client_env(), tmp_path)
    assert started.returncode == 1 and started.stdout == ""  # stdout is the protocol's: nothing there
    assert started.stderr.strip() == (
        f"error: no dailypapers database in the data dir {tmp_path.resolve() / 'data'}; "
        "give --data-dir (or DAILYPAPERS_DATA_DIR) the data dir of your site"
    )
    assert list(tmp_path.iterdir()) == []  # no empty database left behind
    elsewhere = _start(["--data-dir", str(tmp_path / "missing")], _client_env(), tmp_path)
    assert elsewhere.returncode == 1 and f"in the data dir {tmp_path.resolve() / 'missing'};" in elsewhere.stderr


@pytest.mark.slow
def test_a_server_on_an_empty_store_says_so_at_start_and_exits(settings, tmp_path):
    started = _start([], {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)}, tmp_path)
    assert started.returncode == 1 and started.stdout == ""
    [line] = started.stderr.strip().splitlines()
    assert line.startswith("error: no papers in ") and "dailypapers demo --no-serve" in line


def test_an_unexpected_error_is_logged_once_in_one_line_of_ours(engine, caplog):
    """A tool failing for a reason of ours (here the store lost its papers table): the caller learns that it
    happened, and the log holds one line from the site, with no traceback and not the caller's argument (a
    database error quotes the query's parameters)."""
    caplog.set_level(logging.DEBUG)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE papers RENAME TO papers_elsewhere"))

    async def call():
        async with Client(build_server()) as client:
            return await client.call_tool("get_paper", {"id": TIME_R1})

    assert _error_text(asyncio.run(call())).endswith(": something went wrong on our side; the error has been logged")
    loud = [record for record in caplog.records if record.levelno >= logging.WARNING or record.exc_info]
    assert [(record.name, record.levelno) for record in loud] == [("dailypapers.mcp_server.server", logging.ERROR)]
    assert loud[0].getMessage().startswith("MCP tool get_paper failed: ") and "\n" not in loud[0].getMessage()
    assert not [record for record in caplog.records if TIME_R1 in record.getMessage()]


@pytest.mark.sqlite_only("which methods /mcp answers does not depend on the store")
@pytest.mark.parametrize("lifespan", ["on", "off"])
def test_mcp_answers_post_only_and_leaves_no_stream_open(settings, lifespan):
    """GET would open a stream for messages a read-only, stateless server never sends (it stayed open for
    good); OPTIONS answered 500 under a server that runs no lifespan. Every method but POST is refused, in
    JSON, before the MCP SDK sees it."""
    with live_server(lifespan=lifespan) as base, httpx.Client(base_url=base, timeout=10) as http:
        for method, headers in (
            ("GET", {"Accept": "text/event-stream"}),
            ("HEAD", {}),
            ("OPTIONS", {}),
            ("DELETE", {}),
            ("PUT", {"Content-Type": "application/json"}),
        ):
            refused = http.request(method, "/mcp", headers=headers)
            assert (refused.status_code, refused.headers["allow"]) == (405, "POST"), (method, refused.text)
            if method != "HEAD":
                assert "error" in refused.json()
        if lifespan == "on":  # the site's server runs it
            asyncio.run(_list_tools_but_no_listen_stream(f"{base}/mcp"))


async def _list_tools_but_no_listen_stream(url: str) -> None:
    """The SDK's client works; a `subscriptions/listen` stream (nothing here ever changes) is refused."""
    async with Client(url) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} >= TOOLS
        with pytest.raises(MCPError):
            async with asyncio.timeout(10), client.listen(tools_list_changed=True):
                pass
