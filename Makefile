# Needs only python3 (3.11+) and make: uv is bootstrapped into .bin/ and syncs the workspace.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .bin/venv/bin/uv
PROMPT ?= a paper lantern drifting over a night lake
export UV_PYTHON_DOWNLOADS ?= never

.PHONY: run test lint sync

$(UV):
	$(PYTHON) -m venv .bin/venv
	.bin/venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Two syncs: what running needs (145 packages), and that plus the development tools (192) for
# the tests and the linters. --inexact keeps what `reelgate install` added (provider plugins).
.venv/.synced-run: $(UV) uv.lock pyproject.toml */pyproject.toml plugins/*/pyproject.toml
	$(UV) sync --locked --inexact --no-dev --compile-bytecode --python $(PYTHON)
	touch $@

.venv/.synced: $(UV) uv.lock pyproject.toml */pyproject.toml plugins/*/pyproject.toml
	$(UV) sync --locked --inexact --compile-bytecode --python $(PYTHON)
	touch $@ .venv/.synced-run

sync: .venv/.synced

## run: the main job - generate a 5 s 720p video with the offline `local` provider into
## $REELGATE_HOME/videos (~/.local/share/reelgate) and print the response envelope
run: .venv/.synced-run
	$(UV) run --locked --no-dev --inexact reelgate generate "$(PROMPT)" --model local --duration 5 \
		--aspect-ratio 16:9 --resolution 720p --audio

## test: every test of the workspace (pytest starts its own moto S3 server and Prefect API):
## spread over one worker per core (at most 4, a test file per worker at a time), then the
## tests that change the workspace's own environment, alone
TEST_WORKERS ?= auto
test: sync
	$(UV) run --locked pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile -m "not serial"
	$(UV) run --locked pytest -m serial

lint: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy core/src plugins/*/src flows/src api/src examples/*/src
