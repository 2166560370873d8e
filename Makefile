# Two set-up commands, both from a fresh clone with Python 3.11 (no conda, no GPU):
#   make demo   installs what is needed and runs the offline demo pipeline
#   make test   installs what is needed and runs the tests (all but the demo's own, marker demo)
#   make test-demo   the demo's end-to-end run and its quality checks (~22 min on 2 cores)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2
# pytest-xdist workers for `make test` (0: one process)
TEST_WORKERS ?= 2
# The CPU build of PyTorch; GPU users install the CUDA build (envs/torch.yaml) instead.
TORCH_SPEC ?= torch==2.13.0
# Tools the venv provides (snakefmt's shfmt, snakemake's python) must be found by name too.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install demo test test-demo lint format clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	@command -v bedtools >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "bedtools not found: installing it from Debian (apt-get install -y bedtools)" && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bedtools >/dev/null; } || \
		{ echo "bedtools not found: apt-get install -y bedtools (or conda install -c bioconda bedtools)" >&2; exit 1; }
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[test]" --config-settings editable_mode=compat
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml --printshellcmds

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not demo"

test-demo: install
	$(BIN)/python -m pytest -m demo

lint: install
	$(BIN)/ruff check src tests workflow benchmarks
	$(BIN)/ruff format --check src tests workflow benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --configfile config/demo.yaml

format: install
	$(BIN)/ruff format src tests workflow benchmarks
	$(BIN)/ruff check --fix src tests workflow benchmarks
	$(BIN)/snakefmt Snakefile workflow/rules

clean:
	rm -rf results logs resources .snakemake
