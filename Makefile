# Two entry points for a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-docker docker-setup lint test test-fast test-e2e test-docker install clean bench lock

# Everything the tests need (runtime + every extra + the test kit), pinned by the CI lock file.
$(STAMP): pyproject.toml ci/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c ci/constraints.txt -e ".[test,all]"
	touch $(STAMP)

install: $(STAMP)

# Replay the sudden-drift scenario on the embedded S3 server through kfp.local.
demo: $(STAMP)
	$(BIN)/ctsim run scenario sudden-drift

# The same replay with every task in its own container of the component image. ci/docker-setup.sh installs the
# engine where absent (Debian-like hosts), starts dockerd if none answers, builds the images (cached by input hash).
docker-setup: $(STAMP)
	PYTHON=$(BIN)/python ci/docker-setup.sh

demo-docker: docker-setup
	$(BIN)/ctsim run scenario sudden-drift --runner docker

# The house rules that a linter can check: ruff (lint and format) and mypy, all configured in pyproject.toml.
# The architecture rules and "every module imports alone" are tests (tests/test_architecture.py).
lint: $(STAMP)
	$(BIN)/ruff check ctsim tests bench examples
	$(BIN)/ruff format --check ctsim tests bench examples
	$(BIN)/mypy

# Lint, then the whole suite, hypothesis derandomized (the `ci` profile), on TEST_WORKERS pytest-xdist workers
# (a test file stays whole on one worker, the docker tests together: tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: lint
	CTSIM_HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q -n $(TEST_WORKERS)

test-fast: $(STAMP)
	CTSIM_HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q -n $(TEST_WORKERS) -m "not e2e"

# Refresh the lock file from a working environment (review the diff, then run `make test`).
lock: $(STAMP)
	{ echo "# CI lock file (pip constraints) for Python 3.11: make install uses it; refresh with make lock."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^ctsim'; } > ci/constraints.txt

test-e2e: $(STAMP)
	CTSIM_HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q -m e2e

test-docker: $(STAMP)
	CTSIM_HYPOTHESIS_PROFILE=ci $(BIN)/pytest -q -m docker

# The benchmark: per-task overhead, scenario wall time, drift check vs lake size (sketch vs scipy),
# peak memory, suite scaling; prints a table, writes bench/results/latest.json (its scenarios section alone, warm and cold legs: ~12 min on 2 cores).
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
