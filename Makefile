# tfjs bridge: `make demo` and `make test` each do their own set-up (idempotent, quick when done).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SERVE ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
MODELS := linear mlp
TRAIN_SRC := $(wildcard train/*.py)
EXPORT_SRC := $(wildcard export/*.py)
COMMON_SRC := $(wildcard tfjs_bridge/common/*)
SUITE_SRC := $(wildcard tests/suite/*.py) export/tfjs_kernels.json

.PHONY: setup demo test lint models suite docs verify serve bench clean
.DELETE_ON_ERROR:

setup: $(VENV)/.installed node_modules/.installed

# The pinned set, the test-only packages (keras-hub without the TensorFlow its metadata asks for: see the file), then
# this checkout itself (editable, no dependency resolution): `.venv/bin/tfjs-bridge`.
$(VENV)/.installed: requirements.txt requirements-test.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check pip==26.3
	$(PY) -m pip install -qq --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps -r requirements-test.txt
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Browser tests drive Debian's Chromium (Playwright's own browser download needs internet).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "error: browser tests need Debian's chromium: run 'apt-get install chromium' as root" >&2; exit 2; fi; \
	echo "installing Debian's chromium for the browser tests"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# Trained artifacts and exported models, rebuilt only when missing or when their code changed.
artifacts/%/run.json: $(TRAIN_SRC) $(COMMON_SRC) | setup
	$(PY) -m train $*

web/models/%/model.json: artifacts/%/run.json $(EXPORT_SRC) $(COMMON_SRC) | setup
	$(PY) -m export $* --runtime tfjs,litert --litert-batch 1000 --out web/models

# The MLP also ships as a layers model: trainable in tf.js (tests/js/trainable.test.js fits it).
web/models/mlp-layers/model.json: artifacts/mlp/run.json $(EXPORT_SRC) $(COMMON_SRC) | setup
	$(PY) -m export mlp --format layers --out web/models

# Artifacts are listed too: the web app's Python predictions use them, so they must exist (and survive).
models: $(MODELS:%=artifacts/%/run.json) $(MODELS:%=web/models/%/model.json) web/models/mlp-layers/model.json

# The model suite (tests/suite/models.py): saved models and their exports under artifacts/suite/, rebuilt only when
# the suite's or the exporter's code changed; tests/e2e/test_suite.py verifies them (one Node run).
artifacts/suite/exports.json: $(SUITE_SRC) $(EXPORT_SRC) $(COMMON_SRC) | setup
	$(PY) -m tests.suite.build artifacts/suite

suite: artifacts/suite/exports.json

# The generated pages, from this checkout's code: the support table and the raw-converter comparison (both from a
# run of the suite; the comparison reads the table) and the import graph. Tests fail when they go stale.
docs: suite
	$(PY) -m tests.suite.table --write
	$(PY) -m tests.suite.rawconv --write
	$(PY) -m tests.architecture --write

# The demo always retrains and re-exports, so what it shows comes from this checkout's code.
# One process trains and exports both (`tfjs-bridge demo`): TensorFlow's import is paid once, not four times.
demo: setup
	$(PY) -m tfjs_bridge demo
	npm run --silent verify
ifeq ($(SERVE),1)
	$(PY) -m web.serve --models web/models --host $(HOST) --port $(PORT)
endif

verify: models
	npm run --silent verify

test: setup models suite lint $(CHROMIUM)
	$(PY) -m pytest
	$(PY) -m pytest -m slow
	npm test
	CHROMIUM_PATH=$(CHROMIUM) npm run test:browser

lint: setup
	$(PY) -m ruff check --quiet .
	npm run --silent lint

# The demo behind waitress (production WSGI server); `flask --app web run` is the development server.
serve: setup models
	$(PY) -m web.serve --models web/models --host $(HOST) --port $(PORT)

# The benchmark's CNN: the model suite's ResNet, saved by the suite's own builder (bench/ may not import tests/);
# bench/cnn.py exports it for tf.js and LiteRT.js into build/bench/models/ and keeps that while the model is unchanged.
build/bench/resnet.keras: tests/suite/models.py | setup
	@mkdir -p $(@D)
	$(PY) -c 'import sys, pathlib, tests.suite.models as m; m.resnet(pathlib.Path(sys.argv[1]))' $(@D)

# Measurements (minutes) into bench/raw/ (git-ignored); `make bench PUBLISH=1` updates the tracked bench/report.md,
# results.json and chart.png. Not part of `make test`.
bench: setup models build/bench/resnet.keras $(CHROMIUM)
	$(PY) -m bench $(if $(filter 1,$(PUBLISH)),--publish)

clean:
	rm -rf artifacts web/models .pytest_cache
