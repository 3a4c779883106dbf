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

.venv/.synced: $(UV) uv.lock pyproject.toml */pyproject.toml plugins/*/pyproject.toml
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	touch $@

sync: .venv/.synced

## run: the main job - generate a 5 s 720p video with the offline `local` provider into
## ./reelgate-data/videos and print the response envelope
run: sync
	$(UV) run --locked reelgate generate "$(PROMPT)" --model local --duration 5 \
		--aspect-ratio 16:9 --resolution 720p --audio

## test: every test of the workspace (pytest starts its own moto S3 server and Prefect API)
test: sync
	$(UV) run --locked pytest

lint: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy core/src plugins/*/src flows/src api/src examples/*/src
