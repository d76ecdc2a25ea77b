"""Load test of the site: requests/s and latency of the feed and paper pages under 50 concurrent clients.

Starts `dailypapers serve --workers N` on a fresh SQLite data dir (the 64 demo papers on the feed, plus the
19,995 papers of benchmarks/data/arxiv-sample-20k.jsonl.gz in the store unless --no-sample), then drives it
with Debian's `wrk` over loopback. In the same run it measures a baseline: a static file served by the same
app (the floor set by uvicorn and the framework), so each page's rate is also given as a ratio of it.

Usage: .venv/bin/python benchmarks/load.py [--workers 2] [--connections 50] [--seconds 10] [--no-sample]
       [--cache 0 1]   (measures the server with the anonymous micro-cache off, then on)
Needs wrk on PATH (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "data" / "arxiv-sample-20k.jsonl.gz"
TARGET_RPS = 1000
TARGET_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(env: dict, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "dailypapers.cli", *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"dailypapers {' '.join(args)} failed: {proc.stderr.strip()}")


def wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/static/site.css", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def paper_paths(base: str) -> list[str]:
    with urllib.request.urlopen(base + "/api/daily_papers?limit=100") as response:
        return [f"/papers/{entry['paper']['id']}" for entry in json.load(response)]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, connections: int, seconds: int, threads: int, script: Path | None = None) -> dict:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    if rps == 0:
        raise RuntimeError(f"wrk measured nothing for {url}:\n{out}")
    lat = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat.get("50"), "p90": lat.get("90"), "p99": lat.get("99"),
            "non2xx": int(errors[1]) if errors else 0, "socket_errors": sock[1] if sock else ""}


def rotating_script(directory: Path, paths: list[str]) -> Path:
    """A wrk script that cycles through many paper pages, so one cached row does not flatter the numbers."""
    listed = ", ".join(json.dumps(p) for p in paths)
    script = directory / "papers.lua"
    script.write_text(f"local paths = {{{listed}}}\nlocal i = 0\n"
                      "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
    return script


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--no-sample", action="store_true", help="only the 64 demo papers in the store")
    parser.add_argument("--cache", type=float, nargs="+", default=[0.0, 1.0],
                        help="page_cache_seconds settings to measure (0: off)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="dailypapers-load-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp / "data"), "HF_HUB_OFFLINE": "1"}
        cli(env, "demo", "--no-serve")  # first: the demo embeds what is in the store, and 64 papers are quick
        if not args.no_sample:
            cli(env, "import", str(SAMPLE))
        print(f"dailypapers load test: {args.workers} workers, wrk -t{args.threads} -c{args.connections} "
              f"-d{args.seconds}s, {os.cpu_count()} CPUs, store: "
              f"{'64 demo papers' if args.no_sample else '20,059 papers (64 on the feed)'}")
        for cache in args.cache:
            results = measure(tmp, {**env, "DAILYPAPERS_PAGE_CACHE_SECONDS": str(cache)}, args)
            report(f"anonymous micro-cache {'off' if cache == 0 else f'{cache:g} s'}", results)


def measure(tmp: Path, env: dict, args) -> list[tuple[str, dict]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                              stderr=(tmp / "server.log").open("w"))
    try:
        wait_up(base)
        papers = paper_paths(base)
        script = rotating_script(tmp, papers)
        targets = [
            ("baseline: static file", base + "/static/site.css", None),
            ("feed /papers", base + "/papers", None),
            (f"paper pages ({len(papers)} rotating)", base, script),
            ("trending /papers/trending", base + "/papers/trending", None),
            ("API /api/daily_papers", base + "/api/daily_papers", None),
        ]
        for _, url, scr in targets:  # warm every worker: compiled queries, templates
            run_wrk(url, args.connections, 2, args.threads, scr)
        return [(name, run_wrk(url, args.connections, args.seconds, args.threads, scr)) for name, url, scr in targets]
    except RuntimeError as exc:
        raise SystemExit(f"{exc}\nserver log:\n{(tmp / 'server.log').read_text()[-3000:]}") from None
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def report(title: str, results: list[tuple[str, dict]]) -> None:
    baseline = results[0][1]["rps"]
    print(f"\n{title}")
    print(f"{'target':36} {'req/s':>8} {'x base':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'non-2xx':>7}  goal")
    for i, (name, r) in enumerate(results):
        goal = "" if i == 0 else "met" if r["rps"] >= TARGET_RPS and r["p99"] <= TARGET_P99_MS else "MISSED"
        print(f"{name:36} {r['rps']:8.0f} {r['rps'] / baseline:7.2f} {r['p50']:7.1f} {r['p90']:7.1f} "
              f"{r['p99']:7.1f} {r['non2xx']:7d}  {goal}"
              + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""))


if __name__ == "__main__":
    main()
