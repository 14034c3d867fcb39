# zonecredit — run `make help` for the targets. Every target bootstraps uv and the locked environment.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: help install demo test test-fast lint format bench notebooks strip-notebooks clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

install: ## Install uv if missing, then the locked environment (uv.lock)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen

demo: install ## Run the main job end to end on a synthetic world, then serve (zonecredit demo --no-serve to stop)
	$(RUN) zonecredit demo

test: install ## Run the whole test suite, slow tests included (what CI runs)
	$(RUN) pytest -m "" -q

test-fast: install ## Run the fast tests only
	$(RUN) pytest -q

lint: install ## ruff check, ruff format --check, mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy zonecredit data features models serving training

format: install ## Apply ruff formatting and fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

bench: install ## Run every benchmark (under 30 minutes) and write BENCHMARKS.md; needs wrk (installed if missing)
	@command -v wrk >/dev/null 2>&1 || { $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q wrk >/dev/null; }
	$(RUN) python -m bench

notebooks: install ## Run the analyst notebooks top to bottom on a fresh small synthetic world (as CI does)
	$(RUN) pytest -m slow -q tests/notebooks

strip-notebooks: install ## Clear outputs and execution counts from notebooks/ before committing
	$(RUN) python -m tests.notebooks.outputs --strip

clean: ## Remove the local data directories and caches
	rm -rf .zonecredit notebooks/.zonecredit-notebooks .pytest_cache .mypy_cache .ruff_cache
