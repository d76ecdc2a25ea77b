"""The MCP server, through the SDK's own client: over stdio (`dailypapers mcp`) and streamable HTTP (/mcp)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, get_default_environment

from tests.web_helpers import free_port

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
        assert missing.is_error


def test_stdio(demo_env):
    asyncio.run(_exercise(StdioServerParameters(command=sys.executable, args=["-m", "dailypapers.cli", "mcp"],
                                                env=demo_env)))


def test_streamable_http(demo_env):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port)], env=demo_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                httpx.get(base + "/about", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the site did not come up"
                time.sleep(0.3)
        asyncio.run(_exercise(f"{base}/mcp"))
    finally:
        proc.terminate()
        proc.wait(30)


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
        server = StdioServerParameters(command=sys.executable, args=["-m", "dailypapers.cli", *args],
                                       env={**_client_env(), **entry["env"]}, cwd=str(elsewhere))
        async with Client(server) as client:
            paper = _data(await client.call_tool("get_paper", {"id": TIME_R1}))
            assert paper["title"].startswith("Time-R1")
            assert paper["url"] == f"{entry['env']['DAILYPAPERS_BASE_URL']}/papers/{TIME_R1}"

    asyncio.run(check())
    assert list(elsewhere.iterdir()) == []


def _start(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dailypapers.cli", "mcp", *args], env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def test_a_server_without_a_store_says_so_at_start_and_exits(tmp_path):
    started = _start([], _client_env(), tmp_path)
    assert started.returncode == 1 and started.stdout == ""  # stdout is the protocol's: nothing there
    assert started.stderr.strip() == (f"error: no dailypapers database in the data dir {tmp_path.resolve() / 'data'}; "
                                      "give --data-dir (or DAILYPAPERS_DATA_DIR) the data dir of your site")
    assert list(tmp_path.iterdir()) == []  # no empty database left behind
    elsewhere = _start(["--data-dir", str(tmp_path / "missing")], _client_env(), tmp_path)
    assert elsewhere.returncode == 1 and f"in the data dir {tmp_path.resolve() / 'missing'};" in elsewhere.stderr


def test_a_server_on_an_empty_store_says_so_at_start_and_exits(settings, tmp_path):
    started = _start([], {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir)}, tmp_path)
    assert started.returncode == 1 and started.stdout == ""
    [line] = started.stderr.strip().splitlines()
    assert line.startswith("error: no papers in ") and "dailypapers demo --no-serve" in line
