# The project's two commands: `make run` and `make test` (see README.md).
# Both create or refresh .venv when pyproject.toml changes. DATABASE_URL=postgres://…
# switches either to PostgreSQL; the default is an SQLite file in var/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` spreads the tests over one pytest-xdist worker per core, each on its own
# test database; a worker that runs out takes tests queued for another (worksteal), so
# no worker idles while another ends the run alone (docs/testing.md).
# `make test PYTEST_ARGS="-n 0"` runs them in one process.
PYTEST_ARGS ?= -n auto --dist worksteal

.PHONY: run test install lint format system-check messages update-messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) system-check messages

# WeasyPrint (the PDF renderer) needs Pango from the operating system.
system-check: $(STAMP)
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || { \
	  echo "WeasyPrint cannot load the system libraries it needs. On Debian/Ubuntu run:"; \
	  echo "  sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk gettext"; \
	  exit 1; }

# The interface translations (locale/*/LC_MESSAGES/django.po) compiled to .mo files,
# which git does not hold. compilemessages needs GNU gettext's msgfmt.
messages: $(STAMP)
	@command -v msgfmt >/dev/null || { \
	  echo "Compiling the translations needs GNU gettext. On Debian/Ubuntu run:"; \
	  echo "  sudo apt-get install -y gettext"; exit 1; }
	@DEBUG=1 SECRET_KEY=compilemessages $(BIN)/python manage.py compilemessages \
	  --ignore=.venv --ignore=var -v0

# After changing interface strings: refresh the catalogues, then translate every new
# entry (tests/test_translations.py fails on an empty or fuzzy one).
update-messages: $(STAMP)
	@DEBUG=1 SECRET_KEY=makemessages $(BIN)/python manage.py makemessages -l ar -l zh_Hans -l fr -l ru -l es \
	  --ignore=.venv --ignore='static/vendor/*' --ignore=tests --ignore=bench \
	  --ignore='*.egg-info' --ignore=var --no-obsolete

var/secret_key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Development server and task worker on one terminal; Ctrl-C stops both. Both get the
# same SITE_URL, the address links in e-mails and citations point at: the server's own
# (HOST and PORT) unless SITE_URL is set already (e.g. a name other machines can reach).
run: install var/secret_key
	@set -e; \
	export DEBUG=1 SECRET_KEY="$$(cat var/secret_key)" \
	  SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py load_reference_data; \
	$(BIN)/python manage.py load_demo_data; \
	$(BIN)/python manage.py rebuild_search_index; \
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Portal: http://$(HOST):$(PORT)/  (links in e-mails: $$SITE_URL; task worker pid $$worker; Ctrl-C stops both)"; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# axe-core for the accessibility checks of the browser tests (tests/e2e). Without npm
# the browser tests are skipped with a message; CI installs it.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the browser tests will be skipped (apt-get install -y npm)."; fi

# The whole suite, in parallel unless PYTEST_ARGS says otherwise. pytest's exit code 5
# ("no tests collected") is a failure here, so a broken collection can never pass for a
# green run.
test: install $(NODE_STAMP)
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
	rm -rf $(VENV) var/staticfiles node_modules
