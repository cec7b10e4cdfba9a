# The README's two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test system-deps lint clean

# Programs the tests run for real (not Python packages): redis-server for distributed
# crawls; Debian's chromium for the browser test (Playwright cannot download its own
# browsers here); nginx serves the throughput benchmark's web (tests/test_throughput.py).
# Installed with apt when missing and we are root (CI, fresh machines). nginx lives in
# /usr/sbin, which `command -v` finds on root's PATH.
SYSTEM_DEPS := redis-server:redis-server chromium:chromium nginx:nginx

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	$(BIN)/reprint demo

system-deps:
	@for dep in $(SYSTEM_DEPS); do \
	  cmd=$${dep%%:*}; pkg=$${dep#*:}; \
	  command -v $$cmd >/dev/null 2>&1 && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkg >/dev/null || exit 1; \
	  else echo "please install $$pkg (needed by the tests)"; exit 1; fi; \
	done

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-test system-deps lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache demo.db demo.db-wal demo.db-shm
