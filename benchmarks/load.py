"""Load test of the site: the feed and paper pages rendered every time (10 clients) and from the page cache
(50 clients).

Starts `dailypapers serve --workers N` on a fresh SQLite data dir holding the demo (64 papers on the feed;
--sample adds the 19,995 papers of benchmarks/data/arxiv-sample-20k.jsonl.gz to the store) and drives it with
Debian's `wrk` over loopback, for each --workers count:

- uncached: `DAILYPAPERS_PAGE_CACHE_SECONDS=0`, `wrk -c10`, for an anonymous visitor and for a signed-in member
  (a session cookie: members never hit the cache, so this is every page they see). Goal: >= 500 req/s for the
  feed and the paper pages.
- cached: the default 1-second cache for anonymous visitors, `wrk -c50`. Goal: p99 <= 50 ms.

The baseline comes from the same run and the same server: /healthz, answered on the event loop with no
database and no template, the floor set by uvicorn and the middleware. Each page's rate is also given as a
share of it, and with the server's CPU per request (every server process, read with psutil before and after),
the figure that other load on a shared machine moves least. A virtual machine's cores also change speed from
one minute to the next (a fixed loop on both cores took 0.19 to 0.39 s over half a minute here), so each row
also gives a probe taken right before it: the CPU ms of one fixed pure-Python loop run on both cores at once.
Paper pages rotate through all the feed's papers (a Lua script), so one hot row cannot flatter them.

Usage: .venv/bin/python benchmarks/load.py [--workers 1 2] [--seconds 10] [--sample]
Needs wrk on PATH (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "data" / "arxiv-sample-20k.jsonl.gz"
TARGET_RPS = 500  # uncached, feed and paper pages
TARGET_P99_MS = 50.0  # cached
MEMBER, PASSWORD = "loadtester", "a password for the load test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(env: dict, *args: str, stdin: str | None = None) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", *args], env=env, capture_output=True, text=True, input=stdin
    )
    if proc.returncode != 0:
        raise SystemExit(f"dailypapers {' '.join(args)} failed: {proc.stderr.strip()}")


def wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def paper_paths(base: str) -> list[str]:
    with urllib.request.urlopen(base + "/api/daily_papers?limit=100") as response:
        return [f"/papers/{entry['paper']['id']}" for entry in json.load(response)]


def log_in(base: str) -> str:
    """The Cookie header of a signed-in browser: its CSRF cookie and session, through the login form."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(base + "/login") as response:
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', response.read().decode())[1]
    form = urllib.parse.urlencode({"username": MEMBER, "password": PASSWORD, "csrf_token": token}).encode()
    browser.open(base + "/login", data=form).close()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "dp_session" not in cookies:
        raise SystemExit("could not log in for the member's pages")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str, connections: int, seconds: int, threads: int, script: Path | None = None, cookie: str | None = None
) -> dict:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        args += ["-s", str(script)]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    if rps == 0:
        raise RuntimeError(f"wrk measured nothing for {url}:\n{out}")
    lat = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": int(re.search(r"(\d+) requests in", out)[1]),
        "p50": lat.get("50"),
        "p90": lat.get("90"),
        "p99": lat.get("99"),
        "non2xx": int(errors[1]) if errors else 0,
        "socket_errors": sock[1] if sock else "",
    }


def rotating_script(directory: Path, paths: list[str]) -> Path:
    """A wrk script that cycles through many paper pages, so one cached row does not flatter the numbers."""
    listed = ", ".join(json.dumps(p) for p in paths)
    script = directory / "papers.lua"
    script.write_text(
        f"local paths = {{{listed}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    )
    return script


PROBE = "import time\nt = time.process_time()\nfor i in range(1_000_000): i * i\nprint(time.process_time() - t)"


def speed_probe() -> float:
    """CPU ms of a fixed loop, run on both cores at once (the mean of the two): how fast the machine is now."""
    runs = [subprocess.Popen([sys.executable, "-c", PROBE], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    return sum(float(run.communicate()[0]) for run in runs) / len(runs) * 1000


def server_cpu(server: psutil.Process) -> float:
    """CPU seconds used so far by the server and its worker processes."""
    total = 0.0
    for process in (server, *server.children(recursive=True)):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="uvicorn worker processes, each")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--sample", action="store_true", help="also import the 20k-paper sample into the store")
    parser.add_argument(
        "--cache",
        nargs="+",
        choices=("off", "on"),
        default=["off", "on"],
        help="the runs to make: page cache off (10 clients), on (50 clients)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="dailypapers-load-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp / "data"), "HF_HUB_OFFLINE": "1"}
        cli(env, "demo", "--no-serve")  # first: the demo embeds what is in the store, and 64 papers are quick
        if args.sample:
            cli(env, "import", str(SAMPLE))
        cli(env, "users", "create", MEMBER, "--password-stdin", stdin=PASSWORD + "\n")
        load = os.getloadavg()
        print(
            f"dailypapers load test: wrk -t{args.threads} -d{args.seconds}s, {os.cpu_count()} CPUs, load average "
            f"{load[0]:.1f} at the start, store: "
            f"{'20,059 papers (64 on the feed)' if args.sample else 'the 64 demo papers'}"
        )
        for workers in args.workers:
            named = f"{workers} worker{'s' if workers > 1 else ''}"
            if "off" in args.cache:
                uncached = measure(tmp, {**env, "DAILYPAPERS_PAGE_CACHE_SECONDS": "0"}, workers, 10, args, member=True)
                report(f"{named}, page cache off, 10 clients", uncached, "rps")
            if "on" in args.cache:
                cached = measure(tmp, {**env, "DAILYPAPERS_PAGE_CACHE_SECONDS": "1"}, workers, 50, args, member=False)
                report(f"{named}, page cache 1 s, 50 clients", cached, "p99")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


@contextmanager
def served(tmp: Path, env: dict, workers: int, cwd: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`dailypapers serve --workers N` on a free port, answering; yields its base URL and process, stops it after
    (killed if it has not stopped in 30 s). Its log goes to tmp/server.log."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "server.log").open("w"),
    )
    try:
        wait_up(base)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def measure(tmp: Path, env: dict, workers: int, connections: int, args, member: bool) -> list[tuple[str, dict]]:
    with served(tmp, env, workers) as (base, server):
        try:
            return _load_targets(base, server, tmp, connections, args, member)
        except RuntimeError as exc:
            raise SystemExit(f"{exc}\nserver log:\n{(tmp / 'server.log').read_text()[-3000:]}") from None


def _load_targets(
    base: str, server: subprocess.Popen, tmp: Path, connections: int, args, member: bool
) -> list[tuple[str, dict]]:
    papers = paper_paths(base)
    script = rotating_script(tmp, papers)
    targets = [
        ("baseline: /healthz", base + "/healthz", None, None),
        ("feed /papers", base + "/papers", None, None),
        (f"paper pages ({len(papers)} rotating)", base, script, None),
    ]
    if member:
        cookie = log_in(base)
        targets += [
            ("feed, signed-in member", base + "/papers", None, cookie),
            ("paper pages, signed-in member", base, script, cookie),
        ]
    process = psutil.Process(server.pid)
    results = []
    for name, url, lua, cookie in targets:
        run_wrk(url, connections, 2, args.threads, lua, cookie)  # warm every worker: compiled queries, templates
        probe = speed_probe()
        before = server_cpu(process)
        result = run_wrk(url, connections, args.seconds, args.threads, lua, cookie)
        result["cpu_ms"] = (server_cpu(process) - before) / result["requests"] * 1000
        result["probe_ms"] = probe
        results.append((name, result))
    return results


def report(title: str, results: list[tuple[str, dict]], goal: str) -> None:
    baseline = results[0][1]["rps"]
    print(f"\n{title}")
    print(
        f"{'target':32} {'req/s':>8} {'x base':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} "
        f"{'non-2xx':>7} {'probe ms':>8}  goal"
    )
    for i, (name, r) in enumerate(results):
        met = r["rps"] >= TARGET_RPS if goal == "rps" else r["p99"] <= TARGET_P99_MS
        verdict = (
            "" if i == 0 else ("met" if met else "MISSED") + (" (>= 500 req/s)" if goal == "rps" else " (p99 <= 50 ms)")
        )
        print(
            f"{name:32} {r['rps']:8.0f} {r['rps'] / baseline:7.2f} {r['p50']:7.1f} {r['p90']:7.1f} "
            f"{r['p99']:7.1f} {r['cpu_ms']:10.2f} {r['non2xx']:7d} {r['probe_ms']:8.0f}  {verdict}"
            + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else "")
        )


if __name__ == "__main__":
    main()
