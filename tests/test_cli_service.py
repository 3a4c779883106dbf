"""The CLI uses a running local `reelgate serve` when there is one (issue 12): the job goes
to the service over HTTP instead of starting Prefect's embedded API in the CLI process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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

        elsewhere = {**env, "REELGATE_STORAGE_URL": f"file://{tmp_path / 'other-videos'}"}
        done, _ = _cli(*args, "--quiet", env=elsewhere)
        assert done.returncode == 0, done.stderr
        assert f"the reelgate serve at {api.url} runs with other settings" in (
            " ".join(done.stderr.split())
        )
        assert "using the reelgate service" not in done.stderr
        stored = json.loads(done.stdout)["data"]["video_url"]
        assert stored.startswith(f"file://{tmp_path / 'other-videos'}/"), "its own storage"

        refused, _ = _cli("generate", "x", "--model", "nope", env=env)
        assert refused.returncode == 1 and "unknown_model" in refused.stdout
        the_remote_service_exits_quietly(api.url, env)
    finally:
        api.stop()
    assert not state.exists(), "a stopped service withdraws its record"

    done, _ = _cli(*args, "--quiet", env=env)
    assert done.returncode == 0 and "using the reelgate service" not in done.stderr


REMOTE_SCRIPT = """
import asyncio, json, sys
from reelgate_api.service.service import VideoGenerationService
from reelgate_api.service.tools import run_tool

async def main() -> None:
    service = VideoGenerationService.remote(sys.argv[1])
    video = {"model": "local", "duration_seconds": 1, "resolution": "360p"}
    envelope = await service.generate(prompt="dunes", customer_id="acme", settings={"video": video})
    answer = await run_tool(
        "generate_video",
        {"prompt": "waves", "model": "local", "duration_seconds": 1, "resolution": "360p"},
        service,
        customer_id="acme",
    )
    print(json.dumps([envelope.success, answer["status"]]))

asyncio.run(main())
"""


def the_remote_service_exits_quietly(url: str, env: dict[str, str]) -> None:
    """``VideoGenerationService.remote(...).generate()`` and a remote ``run_tool`` end their
    event streams before the program exits: nothing is printed on stderr (before: "generator
    didn't stop after athrow()" at every exit)."""
    done = subprocess.run(
        [sys.executable, "-c", REMOTE_SCRIPT, url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, "succeeded"]
    assert "Traceback" not in done.stderr and "athrow" not in done.stderr, done.stderr
