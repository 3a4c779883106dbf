"""The README's commands work on a fresh machine as written: its "Using it" block runs, in
order, in an empty folder (with the photo and the JSONL file it names, and the first job's id
for ``<job id>``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reelgate.testing import make_png
from reelgate_flows.embedded_api import StartingApi

ROOT = Path(__file__).resolve().parents[1]
REELGATE = str(Path(sys.executable).parent / "reelgate")


def readme_commands() -> list[str]:
    """The commands of the README's block that starts with ``reelgate generate`` (continued
    lines joined, comments dropped)."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    block = next(b for b in blocks if b.startswith(".venv/bin/reelgate generate"))
    joined = block.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


def test_the_readmes_commands_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They share one Prefect API started first (each would start its own otherwise: about
    6 s a command)."""
    (tmp_path / "photo.png").write_bytes(make_png(640, 360, (10, 20, 200)))
    blocks = re.findall(r"```json\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    jsonl = next(block for block in blocks if '"a red kite over dunes"' in block)
    (tmp_path / "requests.jsonl").write_text(jsonl)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELGATE_STORAGE")}
    env |= {"REELGATE_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect")}
    monkeypatch.setenv("PREFECT_HOME", env["PREFECT_HOME"])
    starting = StartingApi()
    prefect = starting.ready()
    env |= {"PREFECT_API_URL": starting.url, "PREFECT_API_AUTH_STRING": starting.auth_string}
    try:
        run_in_order(readme_commands(), tmp_path, env)
    finally:
        prefect.stop()
    assert (tmp_path / "lighthouse.mp4").stat().st_size > 10_000


def run_in_order(commands: list[str], folder: Path, env: dict[str, str]) -> None:
    first_job = ""
    assert len(commands) >= 7
    for command in commands:
        command = command.replace(".venv/bin/reelgate", REELGATE).replace("<job id>", first_job)
        done = subprocess.run(
            command, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=300
        )  # the README's own commands, through a shell
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        if not first_job and " generate " in command:
            first_job = json.loads(done.stdout)["data"]["job_id"]
