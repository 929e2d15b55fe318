# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install migrate bench clean

$(BIN)/stillhere: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/stillhere

migrate: install
	$(BIN)/stillhere migrate

demo: install
	$(BIN)/stillhere demo

test: install
	$(BIN)/stillhere makemigrations --check --dry-run
	$(BIN)/stillhere migrate -v0
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) .stillhere .pytest_cache
