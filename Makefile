# One entry point for humans and CI. `make install` is idempotent: it only reinstalls when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test sqlalchemy-suite stress lint docs demo bench emulator catalog catalog-derive clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory sqlalchemy-suite

# SQLAlchemy's dialect compliance suite on vtab:// (docs/dialect-suite.md): a pytest run of its own.
sqlalchemy-suite: install
	$(BIN)/python -m pytest -c tests/sqlalchemy_suite/setup.cfg tests/sqlalchemy_suite

# The slow fault campaigns (marked stress; `make test` leaves them out): each prints its figures.
stress: install
	$(BIN)/python -m pytest -q -m stress

lint: install
	$(BIN)/ruff check vtab tests scripts
	$(BIN)/ruff format --check vtab tests scripts
	$(BIN)/mypy

docs: install  # regenerate the generated parts of the pages (tests/test_docs.py fails while one is stale)
	$(BIN)/python scripts/docs.py  # the [[[cog]]] parts of README.md and docs/: options, commands, counts

demo: install
	$(BIN)/python -m vtab.cli.demo

bench: install
	$(BIN)/python scripts/bench.py

catalog: install  # regenerate vtab/catalog/data and docs/coverage.md from cfn-lint's wheel (downloads it)
	$(BIN)/python scripts/gen_catalog.py

catalog-derive: install  # after editing vtab/catalog/overlays: re-derive walks and coverage, no download
	$(BIN)/python scripts/gen_catalog.py --derive-only

emulator: install
	$(BIN)/python -m vtab.emulator --port 4566 --seed demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
