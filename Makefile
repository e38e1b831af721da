# Two entry points (see README.md): `make serve` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# What the tests run, as command:Debian-package pairs: ffmpeg is the independent loudness
# meter, espeak-ng makes speech, chromium and firefox-esr are the real browsers, node and npm run
# podcast-partytime, ip sets up the loopback-only network of the ICE test. A command already
# on the PATH (node from elsewhere, say) is kept.
TEST_COMMANDS := ffmpeg:ffmpeg espeak-ng:espeak-ng chromium:chromium firefox-esr:firefox-esr node:nodejs npm:npm ip:iproute2

.PHONY: serve test install system-deps

install: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

system-deps:
	@missing=""; for pair in $(TEST_COMMANDS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# make serve HOST=0.0.0.0 PORT=9000: listen on every interface, on port 9000.
HOST ?= 127.0.0.1
PORT ?= 8000

serve: install
	$(BIN)/roomcast serve --host $(HOST) --port $(PORT)

tests/js/node_modules: tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The suite in two pytest-xdist workers (CI's two cores), each taking a test file at a time
# (--dist loadfile), so a module's server starts once; the longest files go first
# (tests/conftest.py: LONGEST_FILES). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: system-deps install tests/js/node_modules
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
