# Ledarpuls — two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the newest Python >= 3.11 on this machine
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

.PHONY: run test lint typecheck layers deps pytest venv node-deps chromium clean examples bench bench-replicas chaos docs-example package e2e screenshots hostile

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Node is optional: without it the Playground and the card/manifest validators are skipped.
node-deps:
ifeq ($(HAVE_NODE),yes)
	@$(MAKE) --no-print-directory node_modules/.installed
else
	@echo "Node.js not found: the local Teams client (Agents Playground) is not installed."
endif

run: $(STAMP) node-deps
	$(VENV)/bin/ledarpuls dev

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

layers: $(STAMP)
	$(VENV)/bin/lint-imports

# every import declared, every declared package used ([tool.deptry]); then the same for tests,
# benchmarks and tools, which may also use the dev extras and need not use every dependency
deps: $(STAMP)
	$(VENV)/bin/deptry .
	$(VENV)/bin/deptry . --exclude 'bot/|dialogs/|followup/|storage/|\.venv|node_modules|var' \
		--ignore DEP002,DEP004

# Chromium for the phone-width card test (tests/dialogs/test_phone_cards.py): Debian's package,
# installed when we are root with apt-get; playwright-core drives it and downloads no browser.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Chromium for the phone-width card test (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium not found at $(CHROMIUM): the phone-width card test will be skipped" \
			"(apt-get install chromium, or CHROMIUM=/path/to/chromium)."; \
	fi

# one pytest-xdist worker per core of a 2-core machine; each has its own databases
pytest: $(STAMP) node-deps chromium
	$(VENV)/bin/pytest -n 2

test: lint typecheck layers deps pytest

# End to end in the Agents Playground (tests/e2e): `ledarpuls serve` on the demo, a chef and HR
# each in their own local Teams client. Needs Node.js; .ci/run runs it after `make test`.
e2e: $(STAMP) node-deps
	@if command -v node >/dev/null 2>&1; then \
		$(VENV)/bin/pytest -m e2e tests/e2e; \
	else \
		echo "Node.js not found: the end-to-end test in the Agents Playground (make e2e) did not run."; \
	fi

# The README's pictures (docs/screenshots): the end-to-end test with each person's Playground open
# in headless Chromium (apt-get install chromium; CHROMIUM=... for another). Not part of CI.
screenshots: $(STAMP) node-deps
	LEDARPULS_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -m e2e tests/e2e

# The Teams app package to upload in Teams admin center, with MicrosoftAppId and PUBLIC_URL from
# the environment or .env (see "Installing it in your organisation" in the README).
package: $(STAMP)
	$(VENV)/bin/ledarpuls package --out manifest/build/ledarpuls.zip

# Regenerate the example workbooks from the YAML sources.
examples: $(STAMP)
	$(VENV)/bin/ledarpuls import convert plan examples/demo-plan.yaml examples/demo-plan.xlsx
	$(VENV)/bin/ledarpuls import convert roster examples/demo-roster.yaml examples/demo-roster.xlsx

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (figures in the README); not part of `make test`.
# the long fault scenarios (connector outages, a stalled database, a cut replica, SIGTERM), with
# the tests' own TCP proxy in front of PostgreSQL: too slow for `make test`; see the README
chaos: $(STAMP)
	$(VENV)/bin/pytest -m chaos -p no:randomly -v tests

# the invoke properties of the hostile-input test with 10,000 damaged activities each
hostile: $(STAMP)
	HOSTILE_EXAMPLES=10000 $(VENV)/bin/pytest -p no:randomly -q tests/bot/test_hostile_input.py -k invokes

# the digest bench's PostgreSQL part runs when a server answers at BENCH_PG_URL (default: the
# local one); its 50,000-chef database is seeded once and kept (--fresh seeds it again)
bench: $(STAMP)
	$(PY) -m bench.outbox_bench
	$(PY) -m bench.sender_bench
	$(PY) -m bench.turn_bench
	$(PY) -m bench.digest_bench
	@$(MAKE) --no-print-directory bench-replicas

# 5 tenants × 2,000 chefs through two `ledarpuls serve` replicas on PostgreSQL, the fake connector
# in its own process: steady, one tenant throttled, one replica killed (about 2–3 minutes). Its
# database (BENCH_REPLICAS_URL, default the local server's bench_replicas) is made afresh and
# dropped after; exits 1 when a target is missed
bench-replicas: $(STAMP)
	$(PY) -m bench.replicas_bench

# the example digest in docs/example-digest (its DOCX pages as PNG need LibreOffice and pdftoppm:
# apt-get install libreoffice-writer-nogui poppler-utils)
docs-example: $(STAMP)
	$(PY) -m bench.example_digest
