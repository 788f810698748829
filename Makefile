# Every target sets up what it needs first, so each works on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test bench eval lint install system-deps clean

run: $(STAMP)
	$(BIN)/spinetriage up

demo: $(STAMP)
	$(BIN)/spinetriage demo

test: $(STAMP) system-deps
	$(BIN)/pytest

bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.analysis
	$(BIN)/python -m benchmarks.pipeline

eval: $(STAMP)
	$(BIN)/spinetriage eval

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "spinetriage needs Python 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

system-deps:
	@scripts/system-deps

clean:
	rm -rf $(VENV) var build *.egg-info
