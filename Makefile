# Every target bootstraps .venv itself; it is rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres test-multinode lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -c "from samizdat.cli import compile_catalogues; compile_catalogues()"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/samizdat demo

# The suite runs on SQLite; with SAMIZDAT_TEST_DATABASE_URL set, the tests whose outcome can
# depend on the database run again on that one (see EVERY_DATABASE in tests/conftest.py).
# One process per core, each taking whole test files (a module's fixtures are built once), in
# random order (pytest-randomly prints the seed; `PYTEST_ARGS="-p randomly --randomly-seed=N"`
# replays one). Outside CI the test databases are kept between runs (migrations added since
# are applied); CI builds them anew.
# Each pass ends with its slowest tests, to keep an eye on the suite's time.
PYTEST := $(BIN)/pytest -n auto --dist loadfile --durations=15 $(if $(filter true,$(CI)),--create-db,--reuse-db)

test: test-sqlite test-postgres test-multinode

test-sqlite: $(STAMP)
	env -u SAMIZDAT_TEST_DATABASE_URL $(PYTEST) -m "not multinode" $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if [ -n "$$SAMIZDAT_TEST_DATABASE_URL" ]; then \
		$(PYTEST) -m "not browser and not multinode" $(PYTEST_ARGS); \
	else \
		echo "SAMIZDAT_TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped."; \
	fi

# Two nodes (each a `samizdat serve` and a `samizdat worker` with a data folder of its own)
# sharing PostgreSQL, Redis, an S3 store (moto) and a mail server: one pytest process, in file
# order, since the nodes take the cores.
test-multinode: $(STAMP)
	@if [ -n "$$SAMIZDAT_TEST_DATABASE_URL" ] && [ -n "$$SAMIZDAT_TEST_REDIS_URL" ]; then \
		$(BIN)/pytest -p no:randomly -m multinode tests/multinode \
			$(if $(filter true,$(CI)),--create-db,--reuse-db) $(PYTEST_ARGS); \
	else \
		echo "SAMIZDAT_TEST_DATABASE_URL and SAMIZDAT_TEST_REDIS_URL are not both set:" \
			"the multinode pass (several nodes sharing PostgreSQL and Redis) is skipped."; \
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
