# sptk-cli: the two commands (make demo, make test) and a few helpers.
# Each target installs what it needs first (tools/install.sh is idempotent).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install demo test test-all bench lint clean

install:
	@bash tools/install.sh

demo: install
	@bash tools/demo.sh

test: install
	@bash tools/test.sh

# Everything, including the long end-to-end runs marked slow.
test-all: install
	$(PY) -m pytest -q -m "" tests

bench: install
	@bash tools/bench.sh

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf recipes/*/exp recipes/*/data recipes/*/dump recipes/*/corpus .pytest_cache
