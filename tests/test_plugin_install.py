"""``reelgate install`` puts a plugin into reelgate's own environment (which has no pip), the
workspace's sync (``make``'s ``uv sync --locked --inexact``) keeps it, and ``reelgate
uninstall`` removes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reelgate_api.cli.plugins import _uv
from tests.processes import CLI

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reelgate-example"


def reelgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=300, env=os.environ.copy()
    )


def model_ids() -> set[str]:
    listed = reelgate("models", "--json")
    assert listed.returncode == 0, listed.stderr
    return {model["id"] for model in json.loads(listed.stdout)["models"]}


@pytest.mark.serial  # it installs into, and syncs, the environment every other test runs in
def test_install_survives_the_workspace_sync_and_uninstall_removes_it() -> None:
    uv = _uv()
    assert uv is not None, "the workspace has uv (make bootstraps it)"
    assert "example-video-1" not in model_ids()
    try:
        done = reelgate("install", str(EXAMPLE))
        assert done.returncode == 0, done.stderr
        assert "restart every `reelgate serve` and `reelgate worker`" in " ".join(
            done.stderr.split()
        )
        assert "example-video-1" in model_ids()
        synced = subprocess.run(
            [uv, "sync", "--locked", "--inexact", "--python", sys.executable],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert synced.returncode == 0, synced.stderr
        assert "example-video-1" in model_ids(), "the sync kept the plugin"
    finally:
        removed = reelgate("uninstall", "reelgate-example")
    assert removed.returncode == 0, removed.stderr
    assert "example-video-1" not in model_ids()
