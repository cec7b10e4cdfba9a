# The README's two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	$(BIN)/reprint demo

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Headless Chromium for tests/test_browser.py: Debian's package, since Playwright cannot
# download its own browsers here. Installed when missing and we are root (CI, a fresh
# machine); otherwise the test skips, or fails when CI is set.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "no /usr/bin/chromium: install Debian's chromium to run the browser test"; \
	  fi; \
	fi

test: install-test lint browser
	$(BIN)/pytest

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache demo.db demo.db-wal demo.db-shm
