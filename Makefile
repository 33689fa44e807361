# Two commands for a newcomer:  make run  (app with demo data)  ·  make test  (the whole suite)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app

# ensure-debs skips Recommends, so everything used is named: the tests' list is SUITE_DEBS in tests/system.py
# (poppler-data holds the CID maps pdftotext needs for PDFs in the non-embedded fallback fonts).
RUN_DEBS  := fonts-ipaexfont tzdata
TEST_DEBS := fonts-ipaexfont tzdata chromium poppler-utils poppler-data

.PHONY: run test serve bench check-forms clean debs-run debs-test

run: $(BIN)/.runtime debs-run
	$(FLASK) init-db
	$(FLASK) demo
	$(FLASK) serve

# Two workers, each whole test file on one of them (a file's tests share its fixtures and run in order):
# about 7 minutes on a 2-core machine instead of 11.
test: $(BIN)/.dev debs-test
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

serve: $(BIN)/.runtime
	$(FLASK) serve

bench: $(BIN)/.dev
	for b in run photos sheets report visits roster_import walk offline; do $(BIN)/python -m bench.$$b || exit 1; done

check-forms: $(BIN)/.runtime
	$(FLASK) check-forms

# Debian packages, installed only when missing (as root, or through sudo).
debs-run:
	@./scripts/ensure-debs $(RUN_DEBS)
debs-test:
	@./scripts/ensure-debs $(TEST_DEBS)

# Debian ships the venv module without ensurepip (that is python3-venv), so `venv --help` proves nothing.
$(BIN)/.runtime: requirements.txt
	@$(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || ./scripts/ensure-debs python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
