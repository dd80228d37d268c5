# Two commands for a newcomer: `make chat` and `make test`. Both set everything up themselves.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Rasa 3.6 needs Python < 3.11; .python-version selects 3.10 for pyenv users.
PYTHON310 ?= $(shell for p in "$$(pyenv root 2>/dev/null)/versions/$$(cat .python-version)/bin/python" "$$HOME/.pyenv/versions/$$(cat .python-version)/bin/python" python3.10; do command -v "$$p" >/dev/null 2>&1 && { echo "$$p"; break; }; done)
KB := knowledge/zhucan.db
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: help install kb lint test chat bench clean test-scale test-spark test-web

help:
	@echo "make chat   talk to the bot in the terminal (sets everything up first)"
	@echo "make test   run the test suite (sets everything up first)"
	@echo "make test-scale   two Rasa servers on PostgreSQL and Redis, 200 conversations (installs both)"
	@echo "make test-spark  the compiled screening rules on a local Spark session (installs PySpark)"
	@echo "make test-web    the web chat in a real browser (installs Chromium, Playwright, axe-core)"

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it with 'pyenv install $$(cat .python-version)'" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON310) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel "setuptools<71"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# The SQLite knowledge base: documents, clauses (jieba-segmented full text), rules, gazetteer, lexicon.
$(KB): $(BIN)/.installed $(wildcard knowledge/sources/*.md) $(wildcard knowledge/*.yaml) $(wildcard rules/programs/*.yaml) $(wildcard knowledge/*.py rules/*.py)
	$(BIN)/zhucan kb build --db $@

kb: $(KB)

lint: $(BIN)/.installed
	$(BIN)/zhucan rules lint

test: $(BIN)/.installed
	$(BIN)/python -m pytest

# Several servers, one conversation store (docs/deploy.md): PostgreSQL and Redis from Debian's packages,
# installed here when missing (as root, else with sudo); the tests start them on free local ports.
# Not part of `make test`: it needs the packages and a few minutes.
SCALE_PACKAGES := postgresql redis-server
test-scale: $(BIN)/.installed
	@if ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
	  echo "installing $(SCALE_PACKAGES) (apt-get)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SCALE_PACKAGES) >/dev/null \
	  || { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SCALE_PACKAGES) >/dev/null; }; \
	fi
	ZHUCAN_SCALE=1 $(BIN)/python -m pytest tests/scale
# The compiled screening rules on a local Spark session (PySpark, about 450 MB, and Java 17); `make test`
# checks the generated Spark SQL text without them.
test-spark: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[spark]'
	ZHUCAN_TEST_SPARK=1 $(BIN)/python -m pytest tests/test_spark.py

# The web chat (/chat/) in a real browser: Playwright for Python (the `web` extra) driving Debian's Chromium,
# installed here when missing (as root, else with sudo), with a Chinese font for the screenshot; axe-core from
# the npm registry at the version tests/web/package-lock.json pins. Not part of `make test`: it needs the browser.
WEB_PACKAGES := chromium fonts-wqy-microhei
AXE := tests/web/node_modules/axe-core/axe.min.js
$(BIN)/.installed-web: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,web]'
	touch $@
$(AXE): tests/web/package.json tests/web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js (Debian: apt-get install npm)" >&2; exit 1; }
	cd tests/web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@
test-web: $(BIN)/.installed-web $(AXE)
	@if ! test -x /usr/bin/chromium || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
	  echo "installing $(WEB_PACKAGES) (apt-get)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(WEB_PACKAGES) >/dev/null \
	  || { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(WEB_PACKAGES) >/dev/null; }; \
	fi
	ZHUCAN_WEB=1 $(BIN)/python -m pytest tests/web

chat: $(BIN)/.installed $(KB)
	$(BIN)/zhucan chat

bench: $(BIN)/.installed
	$(BIN)/python bench/screening.py
	$(BIN)/python bench/serving.py

clean:
	rm -rf $(VENV) $(KB) bot/build models .rasa
