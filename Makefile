# servicecycle: `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install sysdeps demo serve test lint bench messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (looked for $(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

install: $(VENV)/.installed

sysdeps:
	bash scripts/system-deps.sh

messages: install sysdeps
	cd src/servicecycle && DEBUG=1 ../../$(BIN)/python ../../manage.py compilemessages -v0

demo: install messages
	@mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo
	@echo "servicecycle is starting on http://127.0.0.1:8000/  (stop with Ctrl+C)"
	@echo "Sign in with one of the demo logins above."
	DEBUG=1 $(BIN)/servicecycle serve --bind 127.0.0.1:8000

test: install sysdeps messages
	bash scripts/run-tests.sh

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	DEBUG=1 MYPYPATH=src $(BIN)/mypy src/servicecycle
ifneq ($(AUDIT),0)
	@# known vulnerabilities of every pinned dependency (PyPI's advisory data; needs pypi.org, else AUDIT=0)
	$(BIN)/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict --progress-spinner off
endif

bench: install messages
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
