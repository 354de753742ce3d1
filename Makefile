# bankdemo: `make demo` serves the demo, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo stack test lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Stamps: a second run skips the install unless pyproject.toml changed.
$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-app
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

demo: $(VENV)/.installed-app
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) BIN=$(BIN) bash scripts/demo.sh

# The production shape: nginx (TLS) + ASGI_PROCESSES daphne + CELERY_WORKERS
# workers + beat, on REDIS_URL and DATABASE_URL (README "make stack").
stack: $(VENV)/.installed-app
	BIN=$(BIN) exec bash scripts/stack.sh

test: $(VENV)/.installed-test
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 .test-db*.sqlite3* staticfiles .stack
