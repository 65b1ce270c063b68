# The two set-up commands: `make run` and `make test`. Each creates .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)

.PHONY: run test lint typecheck unit system-deps services bench classifier clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Debian's chromium for the browser tests (never a browser download).
system-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium) || \
	  (sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium)

# The services the tests use, started when down: PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
services:
	@pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || { \
	  command -v pg_ctlcluster >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql); \
	  pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -1)" main start || true; \
	  for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server); \
	  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no; \
	  for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }

run: $(STAMP)
	$(BIN)/purser sandbox seed
	$(BIN)/purser serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy src
	$(BIN)/mypy benchmarks

unit: $(STAMP)
	$(BIN)/pytest

test: $(STAMP) system-deps services
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/mypy benchmarks
	$(BIN)/pytest

# Retrain the offline model's intent weights after editing its corpus.yaml or generalizer (scikit-learn, dev extras).
classifier: $(STAMP)
	$(BIN)/python -m purser.models.offline.training

bench: $(STAMP)
	$(BIN)/python benchmarks/sandbox_ops.py

clean:
	rm -rf $(VENV) purser.db
