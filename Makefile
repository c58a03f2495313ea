# Two commands: `make run` serves the demo, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

CHROMIUM := /usr/bin/chromium
# The on-site record PDF embeds this Debian CJK font (core/fieldwork/record_pdf.py).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# GraphiQL's files (api/static/graphiql/), and tus-js-client, graphql-codegen and TypeScript for the tests
# (web/node_modules/), from npm (web/package-lock.json); either one missing rebuilds both.
WEB := api/static/graphiql/.built web/node_modules/.built

LOCK := requirements.lock
PIP_TOOLS := pip-tools==7.6.2
.PHONY: run test install lint lock schema bench clean web

# Every package, transitive ones included, comes from the lock with its hashes (pip refuses any file whose hash
# differs); the project itself is then installed on top without resolving anything.
$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13), "Python 3.11 or 3.12 is required (durable_rules does not import on 3.13)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "$(LOCK) does not satisfy pyproject.toml: run make lock"; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

# Regenerate the lock after a change of pyproject.toml's pins: pip-tools goes into the venv, never by hand.
lock: $(STAMP)
	$(BIN)/pip install --quiet $(PIP_TOOLS)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps --extra dev --strip-extras \
	  --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

# Browser tests drive Debian's Chromium with Playwright; browsers are never downloaded.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "the browser tests need Debian's chromium package at $(CHROMIUM)"; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

$(CJK_FONT):
	@command -v apt-get >/dev/null || { echo "the on-site record needs Debian's fonts-wqy-microhei at $(CJK_FONT)"; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null)

$(WEB) &: web/package.json web/package-lock.json web/build.sh web/build.mjs
	@command -v npm >/dev/null || { command -v apt-get >/dev/null || { echo "make web needs node and npm"; exit 1; }; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null); }
	sh web/build.sh
	@touch $(WEB)

web: $(WEB)

run: $(STAMP) $(CJK_FONT) $(WEB)
	PORT=$(PORT) $(BIN)/ecoinspect serve --demo

test: $(STAMP) $(CHROMIUM) $(CJK_FONT) $(WEB)
	$(BIN)/ruff check api core rules scheduler tests bench
	$(BIN)/mypy api core rules scheduler
	$(BIN)/python -m pytest -n auto  # one worker (and one embedded server) per core

lint: $(STAMP)
	$(BIN)/ruff check api core rules scheduler tests bench
	$(BIN)/mypy api core rules scheduler

schema: $(STAMP)
	$(BIN)/ecoinspect schema

bench: $(STAMP)
	$(BIN)/python bench/import.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/draw.py
	$(BIN)/python bench/policies.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/meters.py
	$(BIN)/python bench/cases.py
	$(BIN)/python bench/fuzz.py --minutes 5
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var web/node_modules api/static/graphiql
