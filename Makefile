# The project's two commands: `make run` and `make test` (see README.md).
# Both create or refresh .venv when pyproject.toml changes. DATABASE_URL=postgres://…
# switches either to PostgreSQL; the default is an SQLite file in var/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint format system-check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) system-check

# WeasyPrint (the PDF renderer) needs Pango from the operating system.
system-check: $(STAMP)
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || { \
	  echo "WeasyPrint cannot load the system libraries it needs. On Debian/Ubuntu run:"; \
	  echo "  sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk"; \
	  exit 1; }

var/secret_key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Development server and task worker on one terminal; Ctrl-C stops both.
run: install var/secret_key
	@set -e; \
	export DEBUG=1 SECRET_KEY="$$(cat var/secret_key)"; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py load_reference_data; \
	$(BIN)/python manage.py load_demo_data; \
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Portal: http://$(HOST):$(PORT)/  (task worker pid $$worker; Ctrl-C stops both)"; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite. pytest's exit code 5 ("no tests collected") is a failure here, so
# a broken collection can never pass for a green run.
test: install
	@export SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  SITE_URL="$${SITE_URL:-http://testserver}"; \
	$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests were collected; failing." >&2; exit 1; fi; \
	exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/staticfiles
