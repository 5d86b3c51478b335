# Vacate: two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Nova stack for the OpenStack backend's tests lives in an environment of its own, cached
# outside the work tree and keyed on the constraints that pin it: built once (a few minutes),
# then shared by every later `make test` and every checkout with the same pins.
NOVA_PINS := constraints/openstack.txt
NOVA_KEY := $(shell sha256sum $(NOVA_PINS) 2>/dev/null | cut -c1-16)
NOVA_VENV ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vacate/nova-$(NOVA_KEY)
NOVA_STAMP := $(NOVA_VENV)/.installed

.PHONY: demo test lint typecheck bench install nova-env chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,openstack]'
	touch $(STAMP)

install: $(STAMP)

# Keyed on the pins' content (in the path), not on the file's age: a fresh clone reuses it.
$(NOVA_STAMP):
	rm -rf $(NOVA_VENV)
	$(PYTHON) -m venv $(NOVA_VENV)
	$(NOVA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYTHON) -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['nova-tests']))" > $(NOVA_VENV)/nova-tests.txt
	$(NOVA_VENV)/bin/python -m pip install --quiet -c $(NOVA_PINS) -r $(NOVA_VENV)/nova-tests.txt
	touch $(NOVA_STAMP)

nova-env: $(NOVA_STAMP)

# The dashboard's browser tests drive Debian's Chromium through Playwright (Playwright's own
# browser download is not used): installed here when missing and we are root.
CHROMIUM ?= /usr/bin/chromium

chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	else \
		echo "$(CHROMIUM) is missing: run 'sudo apt-get install -y chromium' for the dashboard's browser tests (tests/web)" >&2; \
	fi

demo: $(STAMP)
	$(BIN)/vacate demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint $(NOVA_STAMP) chromium
	VACATE_NOVA_PYTHON=$(NOVA_VENV)/bin/python $(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP)
	$(BIN)/python bench/drain.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/hostdown.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
