"""Leave out of an installed OpenVINO what dailypapers never loads; `make demo` and `make test` run it after pip.

The site runs one OpenVINO IR model on the CPU (dailypapers/index/minilm.py). OpenVINO's wheel also carries
the plugins for Intel GPUs and NPUs (with the GPU's kernel-tuning cache) and the readers of TensorFlow,
TensorFlow Lite, PaddlePaddle, PyTorch, JAX and GGUF models: 75 MB of the demo's .venv. The CPU plugin and
the ones that may wrap it (auto, hetero, batch) stay, and so do the IR reader and the ONNX reader
(scripts/export_minilm.py converts the model through it). A device or reader left out is reported by
OpenVINO as not available, never loaded half.

Usage: .venv/bin/python scripts/slim_openvino.py [OPENVINO_PACKAGE_DIR]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

UNUSED = (
    "libopenvino_intel_gpu_plugin.so",
    "libopenvino_intel_npu_plugin.so",
    "cache.json",  # the GPU plugin's kernel tuning
    "libopenvino_tensorflow_frontend.so*",
    "libopenvino_tensorflow_lite_frontend.so*",
    "libopenvino_paddle_frontend.so*",
    "libopenvino_pytorch_frontend.so*",
    "libopenvino_jax_frontend.so*",
    "libopenvino_gguf_frontend.so*",
)


def unused_files(package: Path) -> list[Path]:
    """The files of UNUSED in an OpenVINO package folder (its `libs/`, as the Linux wheels lay it out)."""
    return sorted(path for pattern in UNUSED for path in (package / "libs").glob(pattern))


def slim(package: Path) -> int:
    """Remove the unused files; the bytes freed (0 when already slim, or on a platform laid out otherwise)."""
    freed = 0
    for path in unused_files(package):
        freed += path.stat().st_size
        path.unlink()
    return freed


def installed_package() -> Path:
    spec = importlib.util.find_spec("openvino")  # found, not imported: nothing is loaded while removing
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("slim_openvino: openvino is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations)))


def main() -> None:
    package = Path(sys.argv[1]) if len(sys.argv) > 1 else installed_package()
    print(f"slim_openvino: {slim(package) / 1e6:.0f} MB of GPU/NPU plugins and unused model readers left out")


if __name__ == "__main__":
    main()
