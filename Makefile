# lookgan: `make demo` and `make test` set everything up themselves on a machine that has only Python 3.
#
#   make demo      create .venv, install torch + lookgan, learn the two demo looks (a film grade; a filter with a
#                  vignette and grain), print where the reports are
#   make test      the same set-up (plus Debian's ffmpeg and chromium, and the faces/ui/uitest extras), then the
#                  default test suite (the web app is served and driven in headless chromium)
#   make test-all  every test, including the ones marked slow
#   make docs      the documentation site (mkdocs, Material theme, API reference from the docstrings) into
#                  site/, built strict: a broken link or reference fails it
#   make bench     benchmarks/ scripts (JSON under benchmarks/out/)
#   make ui        install the `ui` extra and serve the web app on http://127.0.0.1:7860
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
DOCSEXTRA  := $(VENV)/.lookgan-docs
PIP        := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: setup test-deps demo test test-all docs bench clean ui screenshots

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

# The tests run Debian's ffmpeg on exported .cube/HaldCLUT files and filter scripts, RawTherapee's and darktable's
# command lines on exported .pp3 profiles and .dtstyle styles, and drive the web app in Debian's chromium (never a browser downloaded by a test
# tool): install what is missing (as root, or through sudo); elsewhere say what to install. Each entry is
# command:package (the package that provides that command).
SYSTEM_PACKAGES := ffmpeg:ffmpeg chromium:chromium rawtherapee-cli:rawtherapee darktable-cli:darktable
$(SYSDEPS): | $(BIN)/python
	@missing=""; for entry in $(SYSTEM_PACKAGES); do cmd=$${entry%%:*}; pkg=$${entry##*:}; \
		command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo ">> installing$$missing (Debian packages) for the tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "the tests need$$missing: install with your package manager (e.g. brew install ffmpeg chromium rawtherapee darktable)"; \
			exit 1; \
		fi; \
	fi
	@touch $@

# The tests also run the optional face model (extra `faces`: MediaPipe, whose models ship inside the wheel), the
# web app (extra `ui`) and its browser tests (extra `uitest`: Playwright's driver, pointed at Debian's chromium),
# and ONNX export checked in onnxruntime (extra `onnx`).
$(TESTEXTRAS): $(STAMP)
	$(PIP) install -e ".[dev,faces,ui,uitest,onnx]"
	$(PIP) check
	@touch $@

test-deps: setup $(SYSDEPS) $(TESTEXTRAS)

demo: setup
	$(BIN)/lookgan demo --out demo-out
	$(BIN)/lookgan demo --kind preset --out demo-out/preset

# LOOKGAN_REQUIRE_BROWSER: here a missing browser fails the web-app tests instead of skipping them.
test: test-deps
	LOOKGAN_REQUIRE_BROWSER=1 $(BIN)/python -m pytest

test-all: test-deps
	LOOKGAN_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m ""

# Serve the web app on http://127.0.0.1:7860 (work folder ~/.lookgan/ui).
ui: setup
	$(PIP) install -e ".[ui]"
	$(BIN)/lookgan ui

# Refresh the README's screenshots (docs/img/ui-*.png): error messages and portrait mode from the browser tests,
# the tabs themselves from real looks learnt from the bundled photos (scripts/ui_screenshots.py).
screenshots: test-deps
	LOOKGAN_REQUIRE_BROWSER=1 LOOKGAN_SCREENSHOTS=docs/img $(BIN)/python -m pytest tests/ui/test_browser.py
	$(BIN)/python scripts/ui_screenshots.py --out docs/img

$(DOCSEXTRA): $(STAMP)
	$(PIP) install -e ".[docs]"
	@touch $@

docs: $(DOCSEXTRA)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: setup
	$(BIN)/python benchmarks/train_step.py --json benchmarks/out/train_step.json
	$(BIN)/python benchmarks/lut_apply.py --json benchmarks/out/lut_apply.json

clean:
	rm -rf $(VENV) demo-out benchmarks/out .pytest_cache src/*.egg-info site
