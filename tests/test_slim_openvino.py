"""`make demo` leaves out the OpenVINO plugins and model readers the site never loads; MiniLM still runs."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow  # OpenVINO loaded in a process of its own

EMBED = """
import sys
import numpy as np
import openvino
from dailypapers.index import minilm
print(openvino.__file__)
print(openvino.Core().available_devices)
np.save(sys.argv[1], minilm.load_minilm().embed(list(np.load(sys.argv[2])["texts"][:8])))
"""


def test_a_slimmed_openvino_still_embeds_like_the_full_one(tmp_path):
    installed = Path(next(iter(importlib.util.find_spec("openvino").submodule_search_locations)))
    copy = tmp_path / "openvino"
    shutil.copytree(installed, copy, copy_function=os.link)  # hard links: removing one leaves the venv's file
    slimmed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "slim_openvino.py"), str(copy)], capture_output=True, text=True
    )
    assert slimmed.returncode == 0, slimmed.stderr
    libs = {path.name for path in (copy / "libs").iterdir()}
    assert not [name for name in libs if "gpu" in name or "npu" in name or "tensorflow" in name or "pytorch" in name]
    assert {"libopenvino_intel_cpu_plugin.so", "libopenvino_auto_plugin.so"} <= libs
    assert (tmp_path / "openvino").exists() and (installed / "libs" / "libopenvino_intel_cpu_plugin.so").exists()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    out = tmp_path / "vectors.npy"
    reference = FIXTURES / "minilm_reference.npz"
    ran = subprocess.run(
        [sys.executable, "-c", EMBED, str(out), str(reference)], env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    where, devices = ran.stdout.splitlines()[:2]
    assert where.startswith(str(copy)) and devices == "['CPU']"
    cosines = np.sum(np.load(out) * np.load(reference)["vectors"][:8], axis=1)
    assert cosines.min() >= 0.995, cosines
