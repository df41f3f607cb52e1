# Two commands for a new user:  `make run` (set up, then open the TUI on the demo library) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench setup clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: an unpinned torch pulls several GB of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/kb demo --if-empty --index
	$(BIN)/kb

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -n 2 tests

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench

clean:
	rm -rf $(VENV)
