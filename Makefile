# The two commands: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch is installed first and pinned: a bare requirement would pull a multi-GB CUDA build.
# On machines without a local CPU wheel, set TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_VERSION ?= 2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export FLASK_APP := app:create_app
# Some machines (CI containers among them) set PYTHONDONTWRITEBYTECODE: every process would
# then compile the app and rewrite the tests from source again; pytest's collection alone
# takes twice as long in each of its workers.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test install lint typecheck bench evaluate clean

run: install
	$(PY) -m app.devserver --host $(HOST) --port $(PORT)

# One pytest worker per core (a test module stays on one worker: its browser, its world).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

install: $(STAMP)

$(STAMP):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==$(TORCH_VERSION) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PIP) install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

lint: install
	$(VENV)/bin/ruff check app ml tests migrations
	$(VENV)/bin/ruff format --check app ml tests migrations

typecheck: install
	$(VENV)/bin/mypy

evaluate: install
	$(PY) -m ml.evaluate --creators ml/data/dev_match/creators.jsonl --queries ml/data/dev_match/queries.jsonl

# Load test (PostgreSQL on 127.0.0.1:5432, gunicorn, Stripe emulator), then the matching bench.
bench: install
	$(PY) -m app.devtools.loadtest
	$(PY) -m ml.bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
