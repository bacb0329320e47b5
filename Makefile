# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
PORT ?= 5000
# bash with pipefail: a failing install stays a failure even when its output goes through grep.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test bench i18n translations migrate setup clean

$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV) (once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip prints one line per package it collects, so a first install (about a minute) is never silent.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	@echo "==> Installing the app's dependencies from requirements.txt (about a minute the first time)"
	$(BIN)/pip install --progress-bar off -r requirements.txt | { grep -v '^Requirement already satisfied' || true; }
	$(BIN)/pip check >/dev/null
	touch $@

$(VENV)/.installed-tests: $(VENV)/.installed tests/requirements.txt
	@echo "==> Installing the test tools from tests/requirements.txt"
	$(BIN)/pip install --progress-bar off -r tests/requirements.txt | { grep -v '^Requirement already satisfied' || true; }
	$(BIN)/pip check >/dev/null
	touch $@

setup: $(VENV)/.installed translations

translations: $(VENV)/.installed
	@echo "==> Compiling the French and English catalogues"
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | { grep -v '^compiling' || true; }

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The suite on one process per core, four at most (each with its own databases and browser);
# `make test PYTEST_ARGS="-p no:xdist"` runs it on one.
PYTEST_ARGS ?= -n auto --maxprocesses=4

test: setup $(VENV)/.installed-tests
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

bench: setup $(VENV)/.installed-tests
	$(BIN)/python -m bench

# Extract every translatable string and merge it into each catalogue.
# Extract the strings and update every catalogue; `make i18n LANGUAGE=xx` first creates xx's
# (README, "Adding a language").
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F translations/babel.cfg -k lazy_gettext -k _l -o translations/messages.pot --no-location --sort-output --no-wrap --project tiers_lieu --ignore-dirs ".* .venv __pycache__" .
	@if [ -n "$(LANGUAGE)" ] && [ ! -f translations/$(LANGUAGE)/LC_MESSAGES/messages.po ]; then \
		$(BIN)/pybabel init -i translations/messages.pot -d translations -l $(LANGUAGE) --no-wrap; fi
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap
	$(BIN)/python translations/fill_english.py translations/en/LC_MESSAGES/messages.po

# Create a migration after changing models: make migrate MESSAGE="what changed"
migrate: $(VENV)/.installed
	$(FLASK) db migrate -m "$(MESSAGE)"

clean:
	rm -rf $(VENV) instance/*.db
