"""Seedance end to end against its emulator: the CLI (as the issue's user types it), the HTTP API,
and the flow with a lost create answer; exactly one paid create each, a checked MP4."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from seedance_emulator import SeedanceEmulator

from reelgate.testing import make_request
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.flows import generate_video
from tests.processes import CLI
from tests.support import probe_mp4


def test_the_cli_makes_a_checked_mp4_with_one_paid_create(
    seedance: SeedanceEmulator, tmp_path: Path
) -> None:
    out = ["--quiet", "--in-process", "--out", str(tmp_path / "fox.mp4")]
    done = subprocess.run(
        [
            *CLI,
            "generate",
            "A red fox running through snow",
            "--model",
            "dreamina-seedance-2-0-260128",
            *out,
            "--duration",
            "5",
            "--aspect-ratio",
            "16:9",
        ],
        env={**os.environ, **seedance.environ(), "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)["data"]
    assert (data["provider"], data["model"]) == ("seedance", "dreamina-seedance-2-0-260128")
    assert probe_mp4(tmp_path / "fox.mp4")["duration"] >= 4.9
    assert seedance.submissions == 1


async def test_the_api_and_a_lost_create_answer_pay_once(seedance: SeedanceEmulator) -> None:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    body = make_request(model="seedance", customer_id="seedance-1", duration_seconds=5)
    async with AsyncTestClient(app=app, timeout=120) as client:
        answer = await client.post("/video/generate", json=body.model_dump(mode="json"))
        assert answer.status_code == 200, answer.text
        models = (await client.get("/video/models")).json()["models"]
    assert {"dreamina-seedance-2-0-260128", "wan2.6-i2v", "wan2.7-i2v"} <= {m["id"] for m in models}
    assert seedance.submissions == 1

    seedance.faults.add("create", Fault("reset_after"))
    envelope: dict[str, Any] = await generate_video(body)
    assert envelope["data"]["provider"] == "seedance" and seedance.submissions == 2, (
        "adopted, not paid twice"
    )
