"""`make demo` writes the bytecode of what the commands load at start, and only that: no command compiles its
modules again where PYTHONDONTWRITEBYTECODE is set, and the background jobs' packages stay uncompiled."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from compile_bytecode import compile_packages  # noqa: E402

SCRIPT = ROOT / "scripts" / "compile_bytecode.py"


def test_it_compiles_the_packages_the_commands_load_at_start_and_not_the_jobs_ones():
    listed = subprocess.run([sys.executable, str(SCRIPT), "--list"], capture_output=True, text=True, cwd=ROOT)
    assert listed.returncode == 0, listed.stderr
    names = {Path(line).name for line in listed.stdout.splitlines()}
    assert {"dailypapers", "sqlalchemy", "fastapi", "jinja2", "numpy", "openvino", "tokenizers", "uvicorn"} <= names
    assert not names & {"scipy", "sklearn", "pytest"}, names  # loaded by jobs and tests only: 150 MB of bytecode


def test_bytecode_is_written_even_where_python_would_not_write_it(tmp_path):
    package = tmp_path / "tests" / "package"  # a clone kept in a folder named tests: only the package's own skipped
    (package / "tests").mkdir(parents=True)
    (package / "module.py").write_text("VALUE = 1\n")
    (package / "tests" / "test_module.py").write_text("def test(): pass\n")
    single = tmp_path / "single.py"
    single.write_text("VALUE = 2\n")
    code = "from compile_bytecode import compile_packages as c; from pathlib import Path as P; import sys; "
    code += f"sys.exit(0 if c([P({str(package)!r}), P({str(single)!r}), P({str(tmp_path / 'native.so')!r})]) else 1)"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT / "scripts")}
    ran = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    assert ran.returncode == 0, ran.stderr
    assert Path(importlib.util.cache_from_source(str(package / "module.py"))).exists()
    assert Path(importlib.util.cache_from_source(str(single))).exists()
    assert not Path(importlib.util.cache_from_source(str(package / "tests" / "test_module.py"))).exists()


def test_a_module_that_does_not_compile_is_reported(tmp_path):
    (tmp_path / "broken.py").write_text("def (:\n")
    assert not compile_packages([tmp_path])
    assert not os.path.exists(importlib.util.cache_from_source(str(tmp_path / "broken.py")))
