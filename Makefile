# lookgan: `make demo` and `make test` set everything up themselves on a machine that has only Python 3.
#
#   make demo      create .venv, install torch + lookgan, train the demo look, print where the pictures are
#   make test      the same set-up (plus Debian's ffmpeg for the export tests and the `faces` extra), then the
#                  default test suite
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
SYSDEPS    := $(VENV)/.system-deps
TESTEXTRAS := $(VENV)/.lookgan-test-extras
PIP        := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: setup test-deps demo test test-all bench clean

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

# The tests run Debian's ffmpeg on exported .cube/HaldCLUT files: install it when it is missing (as root, or
# through sudo); elsewhere say what to install.
$(SYSDEPS): | $(BIN)/python
	@if ! command -v ffmpeg >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo ">> installing ffmpeg (Debian package) for the export tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
		elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
		else \
			echo "ffmpeg is needed by the tests: install it with your package manager (e.g. brew install ffmpeg)"; \
			exit 1; \
		fi; \
	fi
	@touch $@

# The tests also run the optional face model (extra `faces`: MediaPipe, whose models ship inside the wheel).
$(TESTEXTRAS): $(STAMP)
	$(PIP) install -e ".[dev,faces,ui,uitest]"
	@touch $@

test-deps: setup $(SYSDEPS) $(TESTEXTRAS)

demo: setup
	$(BIN)/lookgan demo --out demo-out

test: test-deps
	$(BIN)/python -m pytest

test-all: test-deps
	$(BIN)/python -m pytest -m ""

bench: setup
	$(BIN)/python benchmarks/train_step.py --json benchmarks/out/train_step.json
	$(BIN)/python benchmarks/lut_apply.py --json benchmarks/out/lut_apply.json

clean:
	rm -rf $(VENV) demo-out benchmarks/out .pytest_cache src/*.egg-info
