"""Runway end to end against its emulator: the CLI as the issue's user types it, a throttled
job whose status says so, an unclear create that fails once, is never sent again (nor to a
fallback model) and whose re-run pays nothing, and a price in credits that needs the
operator's USD per credit."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from runway_emulator import RunwayEmulator

from reelgate.testing import request_body
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from tests.processes import CLI
from tests.support import probe_mp4


def _body(prompt: str = "a fox in the snow", **video: Any) -> dict[str, Any]:
    video = {"duration_seconds": 5, "aspect_ratio": "16:9", **video}
    return request_body(prompt, customer_id="rw-1", model="gen4.5", **video)


def test_the_cli_makes_a_checked_mp4_with_one_paid_create(
    runway: RunwayEmulator, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            *CLI,
            "generate",
            "A red fox running through snow",
            "--model",
            "gen4.5",
            "--duration",
            "5",
            "--aspect-ratio",
            "16:9",
            "--quiet",
            "--in-process",
            "--out",
            str(tmp_path / "fox.mp4"),
        ],
        env={**os.environ, **runway.environ(), "PREFECT_HOME": str(tmp_path / "prefect")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)["data"]
    assert (data["provider"], data["model"]) == ("runway", "gen4.5")
    assert probe_mp4(tmp_path / "fox.mp4")["duration"] >= 4.9
    assert runway.submissions == 1
    task = next(iter(runway.tasks.values()))
    assert (task["body"]["ratio"], task["body"]["duration"]) == ("1280:720", 5)


async def test_a_throttled_job_says_so_and_then_succeeds(runway: RunwayEmulator) -> None:
    runway.throttled_polls = 20
    app = create_app(ApiSettings(sync_timeout_seconds=60, poll_min_seconds=0.05))
    async with AsyncTestClient(app=app, timeout=120) as client:
        accepted = await client.post("/video/jobs", json=_body())
        job_id = accepted.json()["data"]["job_id"]
        said: set[str] = set()
        for _ in range(400):
            status = (await client.get(f"/video/jobs/{job_id}")).json()
            said.add(status.get("message") or "")
            if status["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
    assert status["status"] == "succeeded", status
    assert any("throttled by Runway" in message for message in said), said
    assert runway.submissions == 1


async def test_an_unclear_create_fails_once_never_falls_back_and_a_rerun_pays_nothing(
    runway: RunwayEmulator,
) -> None:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    body = _body(fallback_models=["local"])
    key = {"Idempotency-Key": "rw-unclear-1"}
    async with AsyncTestClient(app=app, timeout=120) as client:
        runway.faults.add("create", Fault("reset_after"))  # made and billed, answer lost
        first = await client.post("/video/generate", json=body, headers=key)
        again = await client.post("/video/generate", json=body, headers=key)
        models = (await client.get("/video/models")).json()["models"]
    error = first.json()["error"]
    assert first.status_code == 502, first.text
    assert error["retryable"] is False and "not sent again" in error["message"]
    assert "Runway developer portal" in error["message"]
    assert again.json()["error"]["message"] == error["message"]
    assert runway.submissions == 1, "the unclear create is never sent again, nor re-run"
    gen45 = next(m for m in models if m["id"] == "gen4.5")
    assert gen45["lost_submission_proof"] is None


@pytest.mark.parametrize(("usd_per_credit", "amount"), [(None, None), ("0.01", 0.6)])
async def test_the_price_in_credits_needs_a_usd_per_credit(
    usd_per_credit: str | None,
    amount: float | None,
    runway: RunwayEmulator,
    use_runtime: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if usd_per_credit:
        monkeypatch.setenv("RUNWAYML_USD_PER_CREDIT", usd_per_credit)
        use_runtime()
    app = create_app(ApiSettings())
    async with AsyncTestClient(app=app, timeout=60) as client:
        answer = await client.post("/video/estimate", json=_body())
    assert answer.status_code == 200, answer.text
    cost = answer.json()["data"]["cost"]
    assert cost["amount"] == (None if amount is None else pytest.approx(amount))
    assert "credit" in cost["basis"]
    assert runway.submissions == 0
