"""The MCP server, through the SDK's own client: over stdio (`dailypapers mcp`) and streamable HTTP (/mcp)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

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
