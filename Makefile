PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: demo golden test lint docs bench corpus fmt clean

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
	$(BIN)/ruff check linter policies tests
	$(BIN)/ruff format --check linter policies tests
	$(BIN)/mypy --strict

fmt: $(STAMP)
	$(BIN)/ruff format linter policies tests
	$(BIN)/ruff check --fix linter policies tests

docs: $(STAMP)
	$(BIN)/python -m linter.docs

bench: $(STAMP)
	$(BIN)/python bench/run.py --shared $(SHARED)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .prodready_cache
