"""Write the bytecode of the packages dailypapers loads at start; `make demo` and `make test` run it after pip.

`make demo` installs with --no-compile: pip would otherwise write bytecode for every module of every package
(150 MB more, mostly SciPy's and scikit-learn's, which only background jobs load). Python writes a module's
bytecode when it first imports it, unless PYTHONDONTWRITEBYTECODE is set, as many container images and CI
machines do: then every command compiles its modules again, and `dailypapers search` on the demo took 2.5 s
instead of 1.3 s (benchmarks/RESULTS.md). This imports what the CLI and the site load at start and compiles
every module of those packages, dailypapers' own included (so the ones they import later, lazily, are covered
too), their test folders left out: about 50 MB.

Usage: .venv/bin/python scripts/compile_bytecode.py [--list]   (--list: print the folders, compile nothing)
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import re
import sys
import sysconfig
from pathlib import Path

# What `dailypapers search` and `dailypapers serve` import before they answer; the model runtime is imported
# lazily, on the first embedding, so it is named here.
START = ("dailypapers.cli", "dailypapers.web.app", "dailypapers.index.minilm", "openvino", "tokenizers", "uvicorn")


def started_packages() -> list[Path]:
    """The top-level package folders (or single-module files) of site-packages that START loads, and
    dailypapers' own folder wherever it is installed from (an editable install keeps it in the clone)."""
    for name in START:
        importlib.import_module(name)
    site = {Path(sysconfig.get_path(key)).resolve() for key in ("purelib", "platlib")}
    found = {Path(sys.modules["dailypapers"].__file__).resolve().parent}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        for root in site:
            if root in path.parents:
                found.add(root / path.relative_to(root).parts[0])
    return sorted(found)


def test_folders(package: Path) -> re.Pattern[str]:
    """A file in a `test` or `tests` folder inside `package`: compileall matches the whole path, and a clone kept
    in a folder named `tests` must not lose everything."""
    return re.compile(re.escape(str(package)) + r"[/\\](?:.+[/\\])?tests?[/\\]")


def compile_packages(paths: list[Path]) -> bool:
    """Byte-compile each folder (recursively, test folders left out) or module file; False if one failed."""
    ok = True
    for path in paths:
        if path.is_dir():
            ok = bool(compileall.compile_dir(path, quiet=1, rx=test_folders(path), workers=0)) and ok
        elif path.suffix == ".py":
            ok = bool(compileall.compile_file(path, quiet=1)) and ok
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the folders it would compile, compile nothing")
    args = parser.parse_args()
    packages = started_packages()
    if args.list:
        print("\n".join(str(path) for path in packages))
        return 0
    if not compile_packages(packages):
        print("compile_bytecode: some modules did not compile (see above)", file=sys.stderr)
        return 1
    print(f"compile_bytecode: bytecode written for the {len(packages)} packages loaded at start")
    return 0


if __name__ == "__main__":
    sys.exit(main())
