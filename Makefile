# Commerce Portal. `make run` starts the app on the embedded Codat sandbox; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: install run test test-postgres browser proxy lock bench bench-load bench-proxy clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

# Quiet set-up (one line for the logo warm-up), then the logins last, just above the server's own lines.
# The linked demo is read from the sandbox once (refresh_connections), so staff see it linked at once.
run: install
	@$(BIN)/python manage.py migrate --noinput -v 0
	@$(BIN)/python manage.py refresh_branding -v 0 || echo "Pages show monograms until the branding cache is warm."
	@logins=$$($(BIN)/python manage.py ensure_demo_merchant) || exit 1; \
	  LOG_LEVEL=WARNING $(BIN)/python manage.py bind_companies "Demo Linked Ltd." >/dev/null && \
	  LOG_LEVEL=WARNING $(BIN)/python manage.py sandbox_link "Demo Linked Ltd." gbol --tenant "Demo Bakery Ltd" --sync 2000 >/dev/null && \
	  LOG_LEVEL=WARNING $(BIN)/python manage.py refresh_connections >/dev/null || \
	  echo "The linked demo merchant could not be linked in the sandbox."; \
	  echo ""; \
	  echo "Log in at http://$(HOST):$(PORT)/accounts/login/"; \
	  echo "  $$logins"; \
	  echo "  POS staff (/staff/) or an operator (/admin/): $(BIN)/python manage.py create_staff EMAIL --name \"NAME\" [--operator]"
	@echo ""
	@echo "Commerce Portal is starting on http://$(HOST):$(PORT)/ with its task worker  (Ctrl-C to stop)"
	@$(BIN)/python manage.py db_worker --no-startup-delay & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium (sudo apt-get install chromium) to run the browser tests." >&2; exit 1; fi; }

# Debian's nginx for the reverse-proxy tests (tests/proxy run deploy/nginx.conf with it).
proxy:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "Install Debian's nginx (sudo apt-get install nginx) to run the proxy tests." >&2; exit 1; fi; }

test: install browser proxy
	$(BIN)/python -m pytest

# The database- and cache-touching tests again, on PostgreSQL and Redis.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/commerce_portal
REDIS_URL    ?= redis://127.0.0.1:6379/1
test-postgres: install browser proxy
	DATABASE_URL=$(POSTGRES_URL) CACHE_URL=$(REDIS_URL) $(BIN)/python -m pytest -m "django_db or cache or multiprocess"

# Re-pin every dependency after editing pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lockvenv/bin/python -m pip install --quiet -e ".[dev]"
	.lockvenv/bin/python -m pip freeze --exclude-editable | grep -v '^commerce-portal' > requirements.lock
	rm -rf .lockvenv

bench: install
	$(BIN)/python bench/branding_cache.py

# Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_CACHE_URL) and Debian's wrk.
bench-load: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/load.py

# /healthz through deploy/nginx.conf while every hand-off slot waits on a 12 s Codat (Debian's nginx).
bench-proxy: install proxy
	$(BIN)/python bench/proxy.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .test-db.sqlite3*
