"""How fast dailypapers starts: `dailypapers search` from process start to answer, and `serve` until it is ready.

    .venv/bin/python benchmarks/start_time.py [--runs 5] [--query "making videos from text"]

On the demo (64 papers, MiniLM vectors), built once under benchmarks/out/start-demo/ with
`dailypapers demo --no-serve`. Each command is run --runs times; the table shows the median and best wall
time, and for the one-shot commands the median CPU time (user + system) of the process, which a busy
machine inflates far less than wall time. Baselines from the same run: `python -c pass` and a bare
`import dailypapers`. `serve` is timed from the start of the process to the first 200 from /readyz, then to
the first answer of a hybrid search page (which loads the model). Goals: search <= 2 s, serve <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "start-demo"
PYTHON = sys.executable


def environment() -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DAILYPAPERS_")}
    return {**env, "DAILYPAPERS_DATA_DIR": str(OUT / "data")}


def ensure_demo() -> None:
    if (OUT / "data" / "dailypapers.db").exists():
        return
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [PYTHON, "-m", "dailypapers.cli", "demo", "--no-serve"], env=environment(), check=True, capture_output=True
    )


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of a command to its exit."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_times(query: str) -> tuple[float, float, float]:
    """Seconds from process start to the first 200 of /readyz (and the server's CPU seconds by then), and to
    the first search page."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [PYTHON, "-m", "dailypapers.cli", "serve", "--port", str(port)],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 120:
                    sys.exit("serve did not become ready")
                time.sleep(0.01)
            ready, cpu = time.perf_counter() - started, cpu_seconds(server.pid)
            client.get("/search", params={"q": query}).raise_for_status()
            return ready, time.perf_counter() - started, cpu
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="making videos from text")
    args = parser.parse_args()
    ensure_demo()
    commands = {
        "python -c pass (baseline)": [PYTHON, "-c", "pass"],
        "import dailypapers (baseline)": [PYTHON, "-c", "import dailypapers"],
        "dailypapers search (hybrid)": [PYTHON, "-m", "dailypapers.cli", "search", args.query, "--limit", "3"],
        "dailypapers search --mode keyword": [
            PYTHON,
            "-m",
            "dailypapers.cli",
            "search",
            args.query,
            "--limit",
            "3",
            "--mode",
            "keyword",
        ],
    }
    results = {name: [] for name in commands}
    served = []
    for _ in range(args.runs):  # rounds alternate the commands, so a busy machine slows them alike
        for name, command in commands.items():
            results[name].append(timed(command))
        served.append(serve_times(args.query))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{args.runs} runs each on {os.cpu_count()} cores; load average {load} at the end")
    print(f"{'what':40} {'median s':>9} {'best s':>7} {'CPU s':>6}  goal")
    goals = {"dailypapers search (hybrid)": 2.0}
    for name, runs in results.items():
        walls = [wall for wall, _ in runs]
        median = statistics.median(walls)
        goal = f"<= {goals[name]} s: {'met' if median <= goals[name] else 'NOT met'}" if name in goals else ""
        print(f"{name:40} {median:9.2f} {min(walls):7.2f} {statistics.median(c for _, c in runs):6.2f}  {goal}")
    ready = statistics.median(r for r, _, _ in served)
    print(
        f"{'serve: /readyz answers 200':40} {ready:9.2f} {min(r for r, _, _ in served):7.2f} "
        f"{statistics.median(c for _, _, c in served):6.2f}  <= 5 s: {'met' if ready <= 5 else 'NOT met'}"
    )
    print(
        f"{'serve: first search page':40} {statistics.median(s for _, s, _ in served):9.2f} "
        f"{min(s for _, s, _ in served):7.2f}"
    )


if __name__ == "__main__":
    main()
