# Two commands: `make demo` and `make test`. Both set up .venv from pyproject.toml first:
# the demo needs only the package; the tests also need the test, UI, Ray and neural extras.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.base-stamp
TEST_STAMP := $(VENV)/.test-stamp

.PHONY: setup setup-test browser libreoffice demo test bench clean

$(BASE_STAMP): pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (mediapipe 0.10.21 wheels)"'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# neural: so the tiny-VITS test runs, not skips (torch 2.13.0 CPU wheel, coqui-tts).
$(TEST_STAMP): $(BASE_STAMP)
	$(BIN)/pip install --quiet -e '.[test,neural]'
	touch $@

setup: $(BASE_STAMP)

setup-test: $(TEST_STAMP)

demo: setup
	$(BIN)/xiaonuan render examples/demo_zh.md -o out/demo.mp4

# Debian's chromium for the browser test (apt-get, as root); a no-op when it is there.
browser:
	tools/setup_chromium.sh

# Debian's LibreOffice Impress, which draws the pages of PPTX decks (apt-get, as root); a no-op when it is there.
libreoffice:
	tools/setup_libreoffice.sh

# The suite runs on every core (pytest-xdist), each test file on one worker so that a file's shared renders
# (module fixtures) are made once: about 6–7 min instead of 9 on 2 cores.
test: setup-test browser libreoffice
	$(BIN)/ruff check --select F,E9 src tests tools bench app.py
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: setup-test
	$(BIN)/python bench/bench_speech.py
	$(BIN)/python bench/bench_enrol.py
	$(BIN)/python bench/bench_compose.py
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf out .pytest_cache
