# Styr: `make run` starts everything with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never

UV_VERSION := 0.13.8
UV := .tools/bin/uv
RUN := $(UV) run --frozen --quiet
SERVICES := goals budget deviations
MEMBERS := shared services/goals services/budget services/deviations services/gateway
TEST_DIRS := $(addsuffix /tests,$(MEMBERS)) tests
VENDORED := shared/styr_shared/static/vendor/MANIFEST.json
CLIENT_GENERATORS := tests/clients/node_modules/.package-lock.json

.PHONY: help install migrate demo run test lint typecheck pytest token bench fuzz docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV) $(VENDORED) $(CLIENT_GENERATORS) ## Install every workspace member and tool from uv.lock
	@$(UV) sync --all-packages --frozen --quiet

# The browser assets the services serve themselves (Swagger UI, ReDoc, GraphiQL, fonts), pinned
# by assets/package-lock.json; redone only when the lock or the copying script changes.
$(VENDORED): assets/package-lock.json scripts/vendor_assets.py
	npm ci --prefix assets --ignore-scripts --no-audit --no-fund --loglevel=error
	python3 scripts/vendor_assets.py

# openapi-typescript and tsc for tests/test_generated_clients.py, pinned by their own lock.
$(CLIENT_GENERATORS): tests/clients/package-lock.json
	npm ci --prefix tests/clients --ignore-scripts --no-audit --no-fund --loglevel=error

migrate: install ## Apply every service's migrations
	@for service in $(SERVICES); do $(RUN) styr-$$service migrate || exit 1; done

demo: migrate ## Load the demo data into empty databases
	@for service in $(SERVICES); do $(RUN) styr-$$service demo || exit 1; done

run: demo ## Install, migrate, load demo data and start all four services (Ctrl-C stops them)
	$(RUN) honcho start --no-prefix -f deploy/Procfile

lint: install ## ruff format check and lint
	$(RUN) ruff format --check .
	$(RUN) ruff check .

typecheck: install ## mypy (strict) per workspace member
	@for member in $(MEMBERS) tests scripts bench fuzz; do echo "mypy $$member"; $(RUN) mypy $$member || exit 1; done

pytest: install ## pytest per workspace member (STYR_TEST_BACKENDS=sqlite,postgresql by default)
	@for tests in $(TEST_DIRS); do \
		echo "== pytest $$tests"; \
		$(RUN) pytest $$tests -q; status=$$?; \
		if [ $$status -ne 0 ] && [ $$status -ne 5 ]; then exit $$status; fi; \
	done

test: lint typecheck pytest ## Lint, typecheck and run every suite

token: install ## Print a dev token: make token ROLE=planner [ORG=oxelosund-von]
	@test -n "$(ROLE)" || { echo "usage: make token ROLE=<role> [ORG=<org unit id>]" >&2; exit 2; }
	@$(RUN) styr-token $(foreach role,$(subst $(comma), ,$(ROLE)),--role $(role)) $(foreach org,$(subst $(comma), ,$(ORG)),--org $(org))

bench: install ## Run the benchmarks (needs PostgreSQL on 127.0.0.1:5432)
	$(RUN) python -m bench

fuzz: install ## Schemathesis against every service (STYR_TEST_BACKENDS=sqlite,postgresql by default)
	$(RUN) python -m fuzz

docs: install ## Regenerate the README's configuration table and the committed API contracts
	$(RUN) python scripts/config_reference.py --write
	$(RUN) python scripts/api_contracts.py --write
	$(RUN) python scripts/api_contracts.py --breaking

clean: ## Remove the local databases and tool caches
	rm -rf var .mypy_cache .ruff_cache .pytest_cache

comma := ,
