# All setup happens here: a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest docs bench bench-concurrency test-matrix clean test-browser test-ai-sdk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check mirastream tests examples benchmarks
	$(BIN)/ruff format --check mirastream tests examples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir .site

test: lint typecheck pytest docs

# The real-browser test of the relay example: Debian's Chromium (Playwright drives the
# system browser; it never downloads one). `make test` runs it too when Chromium is there.
test-browser: $(STAMP)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	$(BIN)/pytest tests/test_browser.py -v -rs

# The UI message stream read by the Vercel AI SDK's own client code (Node, the `ai`
# package from the npm registry, kept in build/ai-sdk). `make test` runs it once installed.
test-ai-sdk: $(STAMP)
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	mkdir -p build/ai-sdk
	cd build/ai-sdk && (test -f package.json || npm init -y >/dev/null) \
	  && npm install --no-audit --no-fund --silent ai@6
	$(BIN)/pytest tests/test_ai_sdk.py -v -rs

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-concurrency: $(STAMP)
	$(BIN)/python benchmarks/bench_concurrency.py

# The suite on every installed CPython 3.10-3.13, each in its own venv. A candidate
# counts only if it runs (pyenv shims exist for versions that are not active).
test-matrix:
	@for v in 3.10 3.11 3.12 3.13; do \
	  py=""; \
	  for cand in $$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python 2>/dev/null | tail -n1) $$(command -v python$$v); do \
	    if "$$cand" -c 'import sys' >/dev/null 2>&1; then py="$$cand"; break; fi; \
	  done; \
	  if [ -z "$$py" ]; then echo "== python$$v: not installed, skipped"; continue; fi; \
	  echo "== python$$v: $$py"; \
	  "$$py" -m venv .venv-$$v && .venv-$$v/bin/python -m pip install --quiet -e '.[dev]' \
	    && .venv-$$v/bin/pytest || exit 1; \
	done

clean:
	rm -rf $(VENV) .venv-3.* .site .mypy_cache .ruff_cache
