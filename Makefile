# The two commands: `make site` builds the site, `make test` runs the tests.
# Both create .venv and install the pinned, hash-checked dependencies first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: site test bytecode browser-deps bench-deps linkcheck-external check serve import-sources reconcile stats coverage bench lock clean

site: $(VENV)/.installed bytecode
	$(PY) -m build_tools build

test: $(VENV)/.installed-test browser-deps bytecode
	$(PY) -m pytest -q

# Where Python writes no bytecode of its own (PYTHONDONTWRITEBYTECODE, as on our machines), every
# build, and its helper process, would compile the toolkit again (a warm `make site` here: 1.50 s
# without, 1.41 s with, medians of 8 paired runs). Compiled here, as pip compiles what it installs;
# only changed files are compiled again.
bytecode: $(VENV)/.installed
	@$(PY) -m compileall -q build_tools

# The browser tests drive Debian's chromium and inject axe-core from the npm registry (locked).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || { echo "make: chromium is missing and could not be installed (apt-get needs root)"; exit 1; }
	@test -f tests/browser/node_modules/axe-core/axe.min.js || npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund

check: $(VENV)/.installed bytecode
	$(PY) -m build_tools check

serve: $(VENV)/.installed bytecode
	$(PY) -m mkdocs serve

reconcile: $(VENV)/.installed bytecode
	$(PY) -m build_tools reconcile

stats: $(VENV)/.installed bytecode
	$(PY) -m build_tools stats

coverage: $(VENV)/.installed bytecode
	$(PY) -m build_tools coverage

bench: $(VENV)/.installed-bench bytecode bench-deps
	$(PY) -m build_tools bench

# The bench counts instructions with Debian's valgrind; without it, that stage says so and is skipped.
bench-deps:
	@command -v valgrind >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; } \
	  || echo "make: valgrind is missing and could not be installed: the bench will not count instructions"

# The bench's link check compares ours with linkchecker, which the tests use too: it comes from
# the test lock, so the bench installs that first.
$(VENV)/.installed-bench: $(VENV)/.installed-test requirements-bench.lock
	$(PIP) install --require-hashes --no-deps -r requirements-bench.lock
	touch $@

import-sources: $(VENV)/.installed bytecode
	$(PY) -m build_tools import-sources

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps --no-build-isolation --no-index -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PIP) install --require-hashes --no-deps -r requirements-test.lock
	touch $@

# Check the site's external links against the internet, where there is one; writes a CSV report.
# Dead links are reported for a person to mark in the registry; nothing is deleted.
linkcheck-external: $(VENV)/.installed-test site
	$(PY) -m build_tools linkcheck --external --report linkcheck-external.csv

# Re-pin after editing requirements*.in (needs the package registry).
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	for f in requirements requirements-test requirements-bench; do \
	  .lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links -o $$f.lock $$f.in; done
	rm -rf .lock-venv

clean:
	rm -rf site .site.* $(VENV)
