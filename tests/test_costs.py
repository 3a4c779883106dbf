"""The price of a job before and after it runs: estimates that submit nothing, the actual cost
of what the provider delivered in the envelope, the metrics and the Prefect run, prices in the
models list, and an operator's price file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kling_emulator import KlingEmulator
from litestar.testing import AsyncTestClient
from prefect.client.orchestration import get_client
from sora_emulator import SoraEmulator

from reelgate.testing import request_body
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.job_ids import find_run
from tests.processes import run_cli


@pytest.fixture
async def client(sora: SoraEmulator, kling: KlingEmulator) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as test_client:
        yield test_client


def sora_body(**video: Any) -> dict[str, Any]:
    return request_body("a tram at night", customer_id="costs", model="sora-2", **video)


async def test_an_estimate_checks_the_request_and_submits_nothing(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    answer = await client.post(
        "/video/estimate", json=sora_body(duration_seconds=8, number_of_videos=1)
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert (data["model"], data["provider"]) == ("sora-2", "openai")
    assert data["cost"]["amount"] == pytest.approx(0.8) and data["cost"]["currency"] == "USD"
    assert "8 s asked for" in data["cost"]["basis"] and "$0.1/s" in data["cost"]["basis"]
    refused = await client.post("/video/estimate", json=sora_body(duration_seconds=5))
    assert refused.status_code == 400, refused.text
    kling = await client.post(
        "/video/estimate", json=request_body("x", customer_id="costs", model="kling-v2-6")
    )
    assert kling.status_code == 200 and kling.json()["data"]["cost"]["amount"] is None
    assert "unknown" in kling.json()["data"]["cost"]["basis"]
    assert sora.submissions == 0


async def test_the_envelope_metrics_and_run_carry_what_was_delivered(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    answer = await client.post("/video/generate", json=sora_body(duration_seconds=4))
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["cost"]["amount"] == pytest.approx(0.4)
    assert "4 s delivered (1 video)" in data["cost"]["basis"]
    status = (await client.get(f"/video/jobs/{data['job_id']}")).json()
    assert status["data"]["cost"] == data["cost"]
    metrics = (await client.get("/metrics")).text
    assert (
        'reelgate_spend_usd_total{customer="costs",model="sora-2",provider="openai"} 0.4' in metrics
    )
    async with get_client() as prefect:
        run = await find_run(prefect, data["job_id"])
    assert run is not None and "cost-usd:0.4" in run.tags


async def test_models_show_prices_and_an_operator_file_overrides_them(
    client: AsyncTestClient[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    use_runtime: Any,
) -> None:
    models = {m["id"]: m for m in (await client.get("/video/models")).json()["models"]}
    assert models["sora-2"]["price"]["rates"] == [
        {"usd_per_second": 0.1, "resolution": None, "audio": None}
    ]
    assert (
        models["sora-2"]["price"]["as_of"] == "2026-11-01" and models["kling-v2-6"]["price"] is None
    )
    prices = tmp_path / "prices.json"
    prices.write_text(
        json.dumps(
            {
                "sora-2": {
                    "rates": [{"usd_per_second": 0.07}],
                    "as_of": "2026-11-28",
                    "source": "our contract",
                },
                "kling-v2-6": {
                    "rates": [{"usd_per_second": 0.05}],
                    "as_of": "2026-11-28",
                    "source": "our contract",
                },
            }
        )
    )
    monkeypatch.setenv("REELGATE_PRICES_FILE", str(prices))
    use_runtime()
    sora = await client.post("/video/estimate", json=sora_body(duration_seconds=4))
    assert sora.json()["data"]["cost"]["amount"] == pytest.approx(0.28)
    assert "our contract" in sora.json()["data"]["cost"]["basis"]
    kling = await client.post(
        "/video/estimate", json=request_body("x", customer_id="costs", model="kling-v2-6")
    )
    assert kling.json()["data"]["cost"]["amount"] == pytest.approx(0.25)


def test_the_cli_estimates_without_running_anything() -> None:
    printed = run_cli(
        "generate",
        "a cat",
        "--model",
        "local",
        "--duration",
        "3",
        "--number-of-videos",
        "2",
        "--estimate",
        env={},
    )
    estimate = json.loads(printed)
    assert estimate["model"] == "local" and estimate["cost"]["amount"] == 0.0
    assert "6 s asked for (2 videos)" in estimate["cost"]["basis"]
