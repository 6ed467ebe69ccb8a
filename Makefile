# lookgan: `make demo` and `make test` set everything up themselves on a machine that has only Python 3.
#
#   make demo      create .venv, install torch + lookgan, train the demo look, print where the pictures are
#   make test      the same set-up, then the default test suite (a few minutes on 2 CPU cores)
#   make test-all  every test, including the ones marked slow
#   make bench     benchmarks/ scripts (JSON under benchmarks/out/)
#
# Torch is installed first and only when the venv cannot import it: TORCH_SPEC (default torch==2.13.0, the CPU
# wheel on our machines) is what gets installed. If the Python you run make with already has torch (your own
# CUDA build, say), the venv is created with --system-site-packages and that torch is used as it is.

PYTHON     ?= python3
VENV       ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.lookgan-installed
PIP        := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: setup demo test test-all bench clean

$(BIN)/python:
	@if $(PYTHON) -c "import torch" >/dev/null 2>&1; then \
		echo ">> $(PYTHON) already has torch: creating $(VENV) on top of it (--system-site-packages)"; \
		$(PYTHON) -m venv --system-site-packages $(VENV); \
	else \
		echo ">> creating $(VENV)"; \
		$(PYTHON) -m venv $(VENV); \
	fi

# Re-installs only when pyproject.toml changed since the last successful install.
$(STAMP): pyproject.toml | $(BIN)/python
	@if $(BIN)/python -c "import torch" >/dev/null 2>&1; then \
		echo ">> using installed torch $$($(BIN)/python -c 'import torch; print(torch.__version__)')"; \
	else \
		echo ">> installing $(TORCH_SPEC) first"; \
		$(PIP) install "$(TORCH_SPEC)"; \
	fi
	$(PIP) install -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/lookgan demo --out demo-out

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m ""

bench: setup
	$(BIN)/python benchmarks/train_step.py --json benchmarks/out/train_step.json

clean:
	rm -rf $(VENV) demo-out benchmarks/out .pytest_cache src/*.egg-info
