# Every target bootstraps .venv itself; it is rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -c "from samizdat.cli import compile_catalogues; compile_catalogues()"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/samizdat demo

# The suite runs on SQLite; with SAMIZDAT_TEST_DATABASE_URL set, the tests that use the
# database run again on that one.
# One process per core, each taking whole test files (a module's fixtures are built once), in
# random order (pytest-randomly prints the seed; `PYTEST_ARGS="-p randomly --randomly-seed=N"`
# replays one). Outside CI the test databases are kept between runs (migrations added since
# are applied); CI builds them anew.
PYTEST := $(BIN)/pytest -n auto --dist loadfile $(if $(filter true,$(CI)),--create-db,--reuse-db)

test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	env -u SAMIZDAT_TEST_DATABASE_URL $(PYTEST) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if [ -n "$$SAMIZDAT_TEST_DATABASE_URL" ]; then \
		$(PYTEST) -m "not browser" $(PYTEST_ARGS); \
	else \
		echo "SAMIZDAT_TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped."; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .test-databases .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
