# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8000
SHARED ?= ../shared
DEMO_PASSWORD ?= khlang-demo

.PHONY: install test lint demo demo-data serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	bash scripts/install-system-packages.sh
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suite runs in up to four processes (pytest-xdist), a test file to a process, so a
# module's shared fixtures are built once; each process has a PostgreSQL database of its own
# (tests/conftest.py). TEST_PROCESSES=0 runs it in this process alone. The 15 slowest tests are
# listed at the end, so a test that grows shows in every run.
TEST_PROCESSES ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_PROCESSES) --dist loadfile --durations=15

# The demo's archive: a sample inventory, the seed documents (a few linked to its items),
# and one user of each role. Run again, it keeps any password that was changed.
DEMO_USER = echo "$(DEMO_PASSWORD)" | KHLANG_DATA_DIR=$(DATA) $(BIN)/khlang users add
demo-data: install
	KHLANG_DATA_DIR=$(DATA) $(BIN)/khlang init
	KHLANG_DATA_DIR=$(DATA) $(BIN)/khlang inventory import scripts/demo/บัญชีตัวอย่าง.csv
	-KHLANG_DATA_DIR=$(DATA) $(BIN)/khlang ingest $(SHARED)/fixtures/seeds --submitted-by demo
	$(DEMO_USER) admin --role admin --if-missing
	$(DEMO_USER) strategy --role strategy --if-missing
	$(DEMO_USER) dsss --role dsss --province เชียงราย --if-missing
	$(DEMO_USER) viewer --role viewer --if-missing
	KHLANG_DATA_DIR=$(DATA) $(BIN)/python scripts/demo_links.py $(DATA)

# The demo serves plain http on loopback, so its session cookie cannot be Secure.
demo: demo-data
	@echo "คลัง: http://$(HOST):$(PORT)/  เข้าสู่ระบบ (log in): admin, strategy, dsss or viewer / $(DEMO_PASSWORD) (on a first run)"
	KHLANG_DATA_DIR=$(DATA) KHLANG_SECURE_COOKIES=0 $(BIN)/gunicorn -c python:service.gunicorn_conf \
		--workers 2 --threads 4 --timeout 300 --max-requests 20000 --max-requests-jitter 2000 \
		--bind $(HOST):$(PORT) 'service:create_app()'

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
