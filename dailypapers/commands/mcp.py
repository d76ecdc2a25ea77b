"""`dailypapers mcp`: the read-only MCP server over stdio, for agents that launch it themselves."""

from __future__ import annotations

from dailypapers.commands import app
from dailypapers.mcp_server.server import build_server


@app.command("mcp")
def mcp_command() -> None:
    """Serve the read-only MCP tools (search, read, daily, trending, related papers) over stdio."""
    build_server().run("stdio")
