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

# The suite runs on SQLite; with SAMIZDAT_TEST_DATABASE_URL set it runs again on that database.
test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	env -u SAMIZDAT_TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if [ -n "$$SAMIZDAT_TEST_DATABASE_URL" ]; then \
		$(BIN)/pytest -m "not browser" $(PYTEST_ARGS); \
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
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
