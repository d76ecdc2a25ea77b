"""dailypapers for agents: a read-only MCP server (official `mcp` SDK), over stdio and streamable HTTP."""
