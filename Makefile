PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: demo golden test lint docs bench corpus fuzz fmt clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@for d in examples/*/; do \
		echo "=== prodready check $$d"; \
		$(BIN)/prodready check "$$d" --exit-zero; \
		echo "=== prodready checklist $$d"; \
		$(BIN)/prodready checklist "$$d" --link-base ''; \
	done

golden: $(STAMP)
	$(BIN)/python tests/update_golden.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check linter policies tests bench
	$(BIN)/ruff format --check linter policies tests bench
	$(BIN)/mypy --strict

fmt: $(STAMP)
	$(BIN)/ruff format linter policies tests bench
	$(BIN)/ruff check --fix linter policies tests

docs: $(STAMP)
	$(BIN)/python -m linter.docs

FUZZ_SECONDS ?= 60
# atheris (a binary wheel for CPython 3.11 x86-64) is installed on demand; without it the
# hypothesis property tests fuzz the same front ends. Crashes land in tests/fixtures/fuzz/<target>/.
fuzz: $(STAMP)
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/pip install --quiet atheris || \
		{ echo "atheris unavailable: running the hypothesis fuzz tests instead"; \
		  $(BIN)/python -m pytest -q tests/test_fuzz.py; exit $$?; }
	@for t in yaml dockerfile env suppress; do \
		echo "=== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		$(BIN)/python bench/fuzz.py $$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done

# PEERS=1: also time checkov 3.3.30, pip-installed on first use into bench/out/peers-venv
PEERS ?=
bench: $(STAMP)
	$(BIN)/python bench/run.py --shared $(SHARED) $(if $(PEERS),--peers)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .prodready_cache
