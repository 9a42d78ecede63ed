# Two commands on a fresh machine with only Python 3.11+ and make:
#   make plan [STACK=dev]   bootstrap .venv, print the offline plan of a stack
#   make test               bootstrap .venv, lint, run every test
SHELL := /bin/bash
PYTHON ?= python3
STACK ?= dev
VENV := .venv
BIN := $(VENV)/bin
# uv is locked in uv.lock (dev group); when it is not on PATH we bootstrap that same version from PyPI into .venv.
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/version = "\(.*\)"/\1/p}' uv.lock)
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# Bytecode is compiled once at install time: without it every run recompiles pulumi_aws (seconds per plan).
export UV_COMPILE_BYTECODE := 1
# Trust the system's certificate store (as pip does), so corporate/CI TLS proxies work.
export UV_NATIVE_TLS ?= 1

.PHONY: plan test lint unit bench policy diagram docs venv clean help
help:
	@echo "make plan [STACK=dev] | make test | make bench | make policy [STACK=dev] | make diagram | make docs | make clean"

$(VENV)/.synced: pyproject.toml uv.lock
	@if ! command -v uv >/dev/null 2>&1 && [ ! -x $(BIN)/uv ]; then \
	  echo "uv not found: installing uv $(UV_VERSION) from PyPI into $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"; \
	fi
	@uv=$$(command -v uv 2>/dev/null || echo $(BIN)/uv); $$uv sync --frozen --quiet --python $(PYTHON)
	@touch $@

venv: $(VENV)/.synced

plan: venv
	$(BIN)/platformctl plan $(STACK)

policy: venv
	$(BIN)/platformctl policy $(STACK)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One worker per core (at most 4: each holds the session's plans in memory); -n 0 runs in one process.
PYTEST_WORKERS ?= auto --maxprocesses 4
unit: venv
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

test: lint unit

bench: venv
	$(BIN)/python -m platformctl.bench

# The architecture diagram in README.md and docs/architecture.md (platformctl/docs.py DIAGRAM_FILES).
diagram: venv
	$(BIN)/python -m platformctl.docs

# The documentation site (MkDocs, Material): regenerate the configuration reference and the diagram, then build
# strictly (a broken link, an unlisted page or a stale generated page fails).
docs: venv
	$(BIN)/python -m platformctl.config_reference
	$(BIN)/python -m platformctl.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
