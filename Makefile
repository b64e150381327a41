# tfjs bridge: `make demo` and `make test` each do their own set-up (idempotent, quick when done).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SERVE ?= 1
MODELS := linear mlp
TRAIN_SRC := $(wildcard train/*.py)
EXPORT_SRC := $(wildcard export/*.py)

.PHONY: setup demo test models verify serve clean
.DELETE_ON_ERROR:

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==26.3
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Trained artifacts and exported models, rebuilt only when missing or when their code changed.
artifacts/%/run.json: $(TRAIN_SRC) | setup
	$(PY) -m train $*

web/models/%/model.json: artifacts/%/run.json $(EXPORT_SRC) | setup
	$(PY) -m export $*

# The MLP also ships as a layers model: trainable in tf.js (tests/js/trainable.test.js fits it).
web/models/mlp-layers/model.json: artifacts/mlp/run.json $(EXPORT_SRC) | setup
	$(PY) -m export mlp --format layers

models: $(MODELS:%=web/models/%/model.json) web/models/mlp-layers/model.json

# run.json files are make's intermediates here; without this make deletes them after exporting.
.SECONDARY: $(MODELS:%=artifacts/%/run.json)

# The demo always retrains and re-exports, so what it shows comes from this checkout's code.
demo: setup
	$(PY) -m train linear
	$(PY) -m train mlp
	$(PY) -m export $(MODELS)
	$(PY) -m export mlp --format layers
	npm run --silent verify
ifeq ($(SERVE),1)
	@$(MAKE) --no-print-directory serve
endif

verify: models
	npm run --silent verify

test: setup models
	$(PY) -m pytest
	npm test

serve:
	@if [ -f web/__init__.py ]; then $(PY) -m web.serve; \
	else echo "The web demo is not built yet (models are in web/models/, verified above)."; fi

clean:
	rm -rf artifacts web/models .pytest_cache
