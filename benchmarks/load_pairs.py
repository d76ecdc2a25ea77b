"""Two versions of the site under the same load, in turns: which one is faster, on a machine whose speed moves.

One `load.py` run on a shared virtual machine is no verdict: its cores change speed by up to 2x from one minute to
the next (benchmarks/RESULTS.md, "Threads under Python's lock"). This runs a git revision (--base, default HEAD)
and the working tree in turn, round after round, each started fresh with `dailypapers serve --workers N` on the
same demo data dir, and prints every round's figures and the medians side by side, for the targets asked:

- visitor-feed, visitor-paper, member-feed, member-paper: page cache off, 10 clients (a member never hits it);
- cached-feed, cached-paper: the default 1-second cache, 50 clients.

Paper pages rotate through all the feed's papers, as in load.py. The base revision is checked out into a
temporary git worktree and run through PYTHONPATH with this virtualenv, on a data dir the working tree made: both
versions must need the same packages and the same database schema.

Usage: .venv/bin/python benchmarks/load_pairs.py [--base REV] [--rounds 4] [--seconds 8] [--workers 2]
       [--targets member-paper member-feed cached-paper]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
from load import MEMBER, PASSWORD, cli, log_in, paper_paths, rotating_script, run_wrk, served, server_cpu

ROOT = Path(__file__).resolve().parent.parent
# target: (cache seconds, clients, signed in, paper pages rather than the feed)
TARGETS = {
    "visitor-feed": (0, 10, False, False),
    "visitor-paper": (0, 10, False, True),
    "member-feed": (0, 10, True, False),
    "member-paper": (0, 10, True, True),
    "cached-feed": (1, 50, False, False),
    "cached-paper": (1, 50, False, True),
}


def measure(tree: Path, env: dict, tmp: Path, cache: int, targets: list[str], args) -> dict[str, dict]:
    """Start the version in `tree` with this cache setting and load each target in turn."""
    env = {**env, "PYTHONPATH": str(tree), "DAILYPAPERS_PAGE_CACHE_SECONDS": str(cache)}
    with served(tmp, env, args.workers, cwd=tree) as (base, server):
        script = rotating_script(tmp, paper_paths(base))
        cookie = log_in(base) if any(TARGETS[name][2] for name in targets) else None
        process = psutil.Process(server.pid)
        results = {}
        for name in targets:
            _, clients, member, papers = TARGETS[name]
            url, lua = (base, script) if papers else (base + "/papers", None)
            run_wrk(url, clients, 1, 2, lua, cookie if member else None)  # warm every worker
            before = server_cpu(process)
            result = run_wrk(url, clients, args.seconds, 2, lua, cookie if member else None)
            result["cpu_ms"] = (server_cpu(process) - before) / result["requests"] * 1000
            results[name] = result
        return results


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the git revision to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8, help="wrk's run per target and version")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--targets", nargs="+", choices=TARGETS, default=["member-paper", "member-feed", "cached-paper"]
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="dailypapers-pairs-") as name:
        tmp = Path(name)
        base_tree = tmp / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree), args.base], check=True)
        try:
            run(args, tmp, {"base": base_tree, "working tree": ROOT})
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=False)


def run(args, tmp: Path, trees: dict[str, Path]) -> None:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp / "data"), "HF_HUB_OFFLINE": "1"}
    cli(env, "demo", "--no-serve")
    cli(env, "users", "create", MEMBER, "--password-stdin", stdin=PASSWORD + "\n")
    by_cache: dict[int, list[str]] = {}
    for target in args.targets:
        by_cache.setdefault(TARGETS[target][0], []).append(target)
    print(f"dailypapers load pairs: {args.base} against the working tree, {args.rounds} rounds, {os.cpu_count()} CPUs")
    figures: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(args.rounds):
        for version, tree in trees.items():
            for cache, targets in by_cache.items():
                for target, result in measure(tree, env, tmp, cache, targets, args).items():
                    figures.setdefault((target, version), []).append(result)
                    print(
                        f"  round {round_number + 1} {version:12} {target:13} {result['rps']:7.0f} req/s "
                        f"p99 {result['p99']:7.1f} ms  {result['cpu_ms']:5.2f} CPU ms/req"
                    )
    print(f"\n{'target':13} {'version':12} {'req/s':>7} {'p99 ms':>7} {'CPU ms':>6}  (medians)  req/s each round")
    for target in args.targets:
        for version in trees:
            runs = figures[(target, version)]
            print(
                f"{target:13} {version:12} {statistics.median(r['rps'] for r in runs):7.0f} "
                f"{statistics.median(r['p99'] for r in runs):7.1f} {statistics.median(r['cpu_ms'] for r in runs):6.2f}"
                f"  {[round(r['rps']) for r in runs]}"
            )


if __name__ == "__main__":
    main()
