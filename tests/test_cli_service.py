"""The CLI uses a running local `reelgate serve` when there is one (issue 12): the job goes
to the service over HTTP instead of starting Prefect's embedded API in the CLI process."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from tests.processes import CLI, ApiProcess, eventually
from tests.support import probe_mp4


def _cli(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    done = subprocess.run(
        [*CLI, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )
    return done, time.monotonic() - began


def test_the_cli_sends_its_job_to_the_running_service(tmp_path: Path) -> None:
    env = {"PREFECT_HOME": str(tmp_path / "prefect"), "REELGATE_LOCAL_DIR": str(tmp_path / "l")}
    api = ApiProcess(env, tmp_path / "serve.log").start()
    try:
        state = tmp_path / "prefect" / "reelgate-service.json"
        eventually(state.exists, 60, "the service to announce itself")
        assert json.loads(state.read_text())["url"] == api.url
        args = ("generate", "waves", "--model", "local", "--duration", "1", "--resolution", "360p")
        done, seconds = _cli(*args, "--quiet", "--out", str(tmp_path / "copy.mp4"), env=env)
        assert done.returncode == 0, done.stderr
        assert f"using the reelgate service at {api.url}" in done.stderr
        envelope = json.loads(done.stdout)
        job = api.client().get(f"/video/jobs/{envelope['data']['job_id']}").json()
        assert job["status"] == "succeeded", "the service ran the job"
        assert probe_mp4(tmp_path / "copy.mp4")["frames"] > 0
        print(f"CLI through the running service: {seconds:.2f} s")

        refused, _ = _cli("generate", "x", "--model", "nope", env=env)
        assert refused.returncode == 1 and "unknown_model" in refused.stdout
    finally:
        api.stop()
    assert not state.exists(), "a stopped service withdraws its record"

    done, _ = _cli(*args, "--quiet", env=env)
    assert done.returncode == 0 and "using the reelgate service" not in done.stderr
