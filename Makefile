# ictalog: every target sets up what it needs (a virtual environment with pinned tools in
# .venv) and can run on a fresh clone.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MPY := $(VENV)/bin/micropython
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: venv test test-mpy test-py check bench fuzz demo sim clean flash

venv: $(STAMP)

$(STAMP): requirements-dev.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "ictalog needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# All tests: the type check, the device code's suite under the real MicroPython unix port
# (its count is printed), then the CPython suite.
test: check test-mpy test-py

test-mpy: $(STAMP)
	$(MPY) -X heapsize=16M tests/mpy/run.py

test-py: $(STAMP)
	$(PY) -m pytest

# The device code type-checked against each port's MicroPython stubs, and held to the
# Python subset both interpreters run (docs/SUBSET.md).
check: $(STAMP)
	$(PY) tools/typecheck.py --port all
	$(PY) -m pytest -q tests/test_subset.py

# Speed, size and memory figures, written to bench/results.json; docs quote that file.
bench: $(STAMP)
	$(PY) bench/run.py --out bench/results.json

# The long fuzzing run: 100,000 random and mutated images through the decoder.
fuzz: $(STAMP)
	$(PY) bench/fuzz.py --inputs 100000

# The main job until hardware is attached: record real fixtures into flash images with the
# device code under MicroPython, then decode them and compare beat by beat.
demo: $(STAMP)
	$(PY) tools/demo.py --out $(OUT)

sim: demo

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .hypothesis

# Install the firmware on a board: make flash BOARD=xiao_esp32s3 PORT=/dev/ttyACM0
flash: $(STAMP)
	$(PY) tools/deploy.py --board $(BOARD) --port $(PORT)
