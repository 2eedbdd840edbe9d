# Ledarpuls — two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the newest Python >= 3.11 on this machine
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

.PHONY: run test lint typecheck layers pytest venv node-deps clean examples bench docs-example

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

pytest: $(STAMP) node-deps
	$(VENV)/bin/pytest

test: lint typecheck layers pytest

# Regenerate the example workbooks from the YAML sources.
examples: $(STAMP)
	$(VENV)/bin/ledarpuls import convert plan examples/demo-plan.yaml examples/demo-plan.xlsx
	$(VENV)/bin/ledarpuls import convert roster examples/demo-roster.yaml examples/demo-roster.xlsx

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (figures in the README); not part of `make test`.
bench: $(STAMP)
	$(PY) -m bench.outbox_bench
	$(PY) -m bench.turn_bench
	$(PY) -m bench.digest_bench

# the example digest in docs/example-digest (its DOCX pages as PNG need LibreOffice and pdftoppm:
# apt-get install libreoffice-writer-nogui poppler-utils)
docs-example: $(STAMP)
	$(PY) -m bench.example_digest
