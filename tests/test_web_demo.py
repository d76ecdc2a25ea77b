"""`dailypapers demo`: loads the 64 demo papers and serves them with the real pages."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.web_helpers import free_port


@pytest.mark.slow
def test_demo_serves_the_feed(demo):
    """On a copy of an indexed demo (`dailypapers demo` once already): the rerun finds it up to date and serves it."""
    port = free_port()
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(demo.data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                feed = httpx.get(base + "/api/daily_papers", params={"limit": 100}, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the demo site did not come up"
                time.sleep(0.5)
        assert len(feed.json()) == 64
        page = httpx.get(base + "/papers/trending").text
        assert page.count('class="card"') == 64
        first = feed.json()[0]["paper"]["id"]
        assert httpx.get(f"{base}/papers/{first}").status_code == 200
        # on a port of its own, every link still leads back to the site as served
        feed = httpx.get(f"{base}/papers/feed.xml").text
        assert f'href="{base}/papers/{first}"' in feed and ":8000" not in feed
    finally:
        proc.terminate()
        proc.wait(30)
