# The two set-up commands of the README: `make demo` and `make test`. Everything they need is
# installed by the targets below (Python venv, SAM CLI in its own venv, Node tools).

PYTHON ?= python3
VENV := .venv
SAMVENV := .venv-sam
PY := $(VENV)/bin/python
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
# Compiled bytecode (and pytest's rewritten test modules) is kept in one folder outside the
# sources, so a second run does not parse everything again and the source folders stay clean.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/python

export CHROMIUM ?= /usr/bin/chromium

.PHONY: browser install lint typecheck template-check test test-unit test-integration test-e2e demo local bench bench-smoke clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(SAMVENV)/.installed:
	$(PYTHON) -m venv $(SAMVENV)
	$(SAMVENV)/bin/pip install --quiet --upgrade pip
	$(SAMVENV)/bin/pip install --quiet 'aws-sam-cli>=1.120'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed $(SAMVENV)/.installed node_modules/.installed

# The console's browser tests drive Debian's chromium with Playwright (never a downloaded browser).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "The console's browser tests need Chromium: run 'sudo apt-get install -y chromium'" \
	         "(or set CHROMIUM=/path/to/chromium); until then they are skipped."; \
	  fi; \
	fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

template-check: $(VENV)/.installed $(SAMVENV)/.installed node_modules/.installed
	$(SAMVENV)/bin/sam validate --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(SAMVENV)/bin/sam validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(VENV)/bin/cfn-lint template.yaml
	rm -rf .aws-sam/asl && $(PY) -m local.cloud.render_asl .aws-sam/asl
	for f in .aws-sam/asl/*.asl.json; do npx --no-install asl-validator --json-path "$$f" || exit 1; done

# One worker per core; a test file stays on one worker, so its module-scoped world (local cloud
# and sandboxes on free ports) is its own. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= auto

test-unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit -q

test-integration: install
	$(VENV)/bin/pytest tests/integration -q

test-e2e: install browser
	$(VENV)/bin/pytest tests/e2e -q -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: install browser lint template-check
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30

demo: install
	$(PY) -m local.demo $(ARGS)

local: install
	$(PY) -m local.cloud

bench: install
	$(PY) -m bench $(ARGS)

bench-smoke: install
	$(PY) -m bench --smoke --out .bench-smoke

clean:
	rm -rf $(VENV) $(SAMVENV) node_modules .aws-sam .pytest_cache .mypy_cache .ruff_cache .cache
