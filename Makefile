# The two commands a newcomer needs: `make run` and `make test`. Everything else builds on them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint fmt venv clean bench eval chaos chaos-short

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Vellarys needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/vellarys up

# TEST_WORKERS=0 runs the suite in one process (pytest-xdist's -n; auto = one per core).
TEST_WORKERS ?= auto
test: venv
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: venv
	$(BIN)/ruff check vellarys tests bench
	$(BIN)/ruff format --check vellarys tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: venv
	$(BIN)/ruff check --fix vellarys tests bench
	$(BIN)/ruff format vellarys tests bench

# Writes bench/RESULTS.md (pipeline and profile figures), then the benches that only print.
bench: venv
	$(BIN)/python -m bench.results
	$(BIN)/python -m bench.brain
	$(BIN)/python -m bench.retrieval
	$(BIN)/python -m bench.intent_accuracy
	$(BIN)/python -m bench.profile_accuracy

# Faults under a webhook stream (bench/chaos.py); exits 1 when a message is lost or sent twice.
chaos: venv
	$(BIN)/python -m bench.chaos

chaos-short: venv
	$(BIN)/python -m bench.chaos --short

# Plays bench/conversation_scripts/ against the configured brain (offline, or VELLARYS_LLM_*).
eval: venv
	$(BIN)/python -m bench.conversations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
