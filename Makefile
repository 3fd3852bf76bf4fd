# The commands the README names. Each starts with the idempotent set-up.
.PHONY: setup run test test-postgis test-browser lint format bench lock check clean

VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

setup:
	@scripts/setup.sh

# The development server and the background worker (manage.py db_worker) together.
run: setup
	@scripts/run.sh

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite again on PostgreSQL + PostGIS (installs PostGIS and makes a fresh database).
test-postgis: setup
	DATABASE_URL=$$(scripts/postgis-db.sh) $(PY) -m pytest $(PYTEST_ARGS)

# Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).
test-browser: setup
	@scripts/setup-browser.sh
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# SIZE=small (20k incidents, a few minutes), medium (200k) or large (1M, the default).
# Each backend and size gets its own bench database (var/bench-$(SIZE).sqlite3 and
# skyledger_bench_$(SIZE)), generated once and reused; BENCH_ARGS=--fresh makes it again.
SIZE ?= large
BENCH_ARGS ?=
bench: setup
	$(PY) -m bench
	$(PY) -m bench.run --backend spatialite --size $(SIZE) $(BENCH_ARGS)
	DATABASE_URL=$$(SKYLEDGER_PG_DB=skyledger_bench_$(SIZE) SKYLEDGER_PG_KEEP=1 scripts/postgis-db.sh) \
		$(PY) -m bench.run --backend postgis --size $(SIZE) $(BENCH_ARGS)

check: setup
	$(PY) manage.py check

# Refresh constraints.txt after changing the pins in pyproject.toml.
lock:
	rm -rf /tmp/skyledger-lock && /usr/bin/python3 -m venv /tmp/skyledger-lock
	/tmp/skyledger-lock/bin/pip install -q -e ".[dev]"
	{ echo "# Exact versions of every installed package (direct and transitive), used as pip -c."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  /tmp/skyledger-lock/bin/pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
