"""MiniMax end to end against its emulator: the CLI as the issue's user types it, the HTTP API,
and an unclear create: one final error, never sent again, and a re-run under the same key
that pays nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from litestar.testing import AsyncTestClient
from minimax_emulator import MinimaxEmulator

from reelgate.testing import make_request
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from tests.processes import CLI
from tests.support import probe_mp4


def test_the_cli_makes_a_checked_mp4_with_one_paid_create(
    minimax: MinimaxEmulator, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            *CLI,
            "generate",
            "A red fox running through snow",
            "--model",
            "MiniMax-Hailuo-02",
            "--duration",
            "6",
            "--quiet",
            "--in-process",
            "--out",
            str(tmp_path / "fox.mp4"),
        ],
        env={**os.environ, **minimax.environ(), "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)["data"]
    assert (data["provider"], data["model"]) == ("minimax", "MiniMax-Hailuo-02")
    assert probe_mp4(tmp_path / "fox.mp4")["duration"] >= 5.9
    assert minimax.submissions == 1


async def test_an_unclear_create_fails_once_and_a_rerun_pays_nothing(
    minimax: MinimaxEmulator,
) -> None:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    body = make_request(model="hailuo", customer_id="mm-1", duration_seconds=6, aspect_ratio="16:9")
    key = {"Idempotency-Key": "mm-unclear-1"}
    async with AsyncTestClient(app=app, timeout=120) as client:
        minimax.faults.add("create", Fault("reset_after"))  # made and billed, answer lost
        first = await client.post("/video/generate", json=body.model_dump(mode="json"), headers=key)
        again = await client.post("/video/generate", json=body.model_dump(mode="json"), headers=key)
        models = (await client.get("/video/models")).json()["models"]
    error = first.json()["error"]
    assert first.status_code == 502, first.text
    assert error["retryable"] is False and "not sent again" in error["message"]
    assert again.json()["error"]["message"] == error["message"]
    assert minimax.submissions == 1, "the unclear create is never sent again, nor re-run"
    hailuo = next(m for m in models if m["id"] == "MiniMax-Hailuo-02")
    assert hailuo["lost_submission_proof"] is None
