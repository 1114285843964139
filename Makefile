# Two commands: `make demo` and `make test`. Both set up .venv from pyproject.toml first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (mediapipe 0.10.21 wheels)"'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/xiaonuan render examples/demo_zh.md -o out/demo.mp4

test: setup
	$(BIN)/ruff check --select F,E9 src tests tools
	$(BIN)/python -m pytest

clean:
	rm -rf out .pytest_cache
