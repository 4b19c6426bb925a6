# Two commands do everything on a fresh machine:
#   make run   - set up, then code the shipped sample into outputs/responses/
#   make test  - set up, then run the whole test suite (what .ci/run calls)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
SAMPLE := data/sample_rfi/responses.csv
export HF_HUB_OFFLINE := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup run test test-fast bench vectors browser office clean

setup: $(VENV)/.installed

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is the CPU build.
$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0 -c constraints.txt
	$(PIP) install -q -e '.[dev]' -c constraints.txt
	touch $@

run: setup
	$(VENV)/bin/themes run $(SAMPLE) --codebook codebooks/rfi_themes.yaml \
	  --codebook codebooks/partnership_models.yaml --coded-sample data/sample_rfi/coded_sample.csv \
	  --out outputs/responses --force

# Headless Chromium for the report's browser test, from Debian's packages.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# LibreOffice Calc for the quotes workbook's print test, with Carlito, the font metric-compatible with
# Excel's Calibri (so wrapped rows measure as in Excel), and python3-uno to ask Calc for row heights.
office:
	@dpkg -s libreoffice-calc fonts-crosextra-carlito python3-uno >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc \
	  fonts-crosextra-carlito python3-uno >/dev/null; }

# THEMES_REQUIRE_OFFICE: a missing LibreOffice fails the run here instead of skipping its tests.
test: setup browser office
	THEMES_REQUIRE_OFFICE=1 $(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow and not browser and not office"

bench: setup
	$(PY) benchmarks/run.py

# The vectors of every text the shipped codebooks learn from, and the classifiers fitted on them, beside
# their calibrations: run after editing a shipped codebook or calibration (tests check both are current).
vectors: setup
	$(PY) -m themes.shipped codebooks/rfi_themes.yaml codebooks/partnership_models.yaml

clean:
	rm -rf $(VENV) .pytest_cache outputs/*/
