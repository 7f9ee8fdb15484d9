# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
QUERY ?= Mariupol corridor

.PHONY: install demo test bench-mixed clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: install
	$(BIN)/newsearch index corpus/
	$(BIN)/newsearch query "$(QUERY)" --limit 3

test: install
	$(BIN)/python -m pytest -q tests

bench-mixed: install
	$(BIN)/python benchmarks/mixed.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
	find index -mindepth 1 ! -name .gitignore -exec rm -rf {} +
