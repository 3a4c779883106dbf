"""Wan end to end against its emulator: the CLI (as the issue's user types it), the HTTP API,
and the flow with a lost create answer; exactly one paid create each, a checked MP4."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from wan_emulator import WanEmulator

from reelgate.testing import make_request
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.flows import generate_video
from tests.processes import CLI
from tests.support import probe_mp4


def test_the_cli_makes_a_checked_mp4_with_one_paid_create(wan: WanEmulator, tmp_path: Path) -> None:
    out = ["--quiet", "--in-process", "--out", str(tmp_path / "fox.mp4")]
    done = subprocess.run(
        [
            *CLI,
            "generate",
            "A red fox running through snow",
            "--model",
            "wan2.6-t2v",
            *out,
            "--duration",
            "5",
        ],
        env={**os.environ, **wan.environ(), "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)["data"]
    assert (data["provider"], data["model"]) == ("wan", "wan2.6-t2v")
    assert probe_mp4(tmp_path / "fox.mp4")["duration"] >= 4.9
    assert wan.submissions == 1


async def test_the_api_and_a_lost_create_answer_pay_once(wan: WanEmulator) -> None:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    body = make_request(model="wan", customer_id="wan-1", duration_seconds=5)
    async with AsyncTestClient(app=app, timeout=120) as client:
        answer = await client.post("/video/generate", json=body.model_dump(mode="json"))
        assert answer.status_code == 200, answer.text
        models = (await client.get("/video/models")).json()["models"]
    assert {"wan2.6-t2v", "wan2.6-i2v", "wan2.7-i2v"} <= {m["id"] for m in models}
    assert wan.submissions == 1

    wan.faults.add("create", Fault("reset_after"))
    envelope: dict[str, Any] = await generate_video(body)
    assert envelope["data"]["provider"] == "wan" and wan.submissions == 2, "adopted, not paid twice"
