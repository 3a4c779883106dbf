"""One admission for every way in (``reelgate_flows.admission``): backfill items, the CLI in
process and runs nobody admitted before they started answer to their customer's budget and
are in the job records; a price question needs no credentials; the rules a provider states
between settings are refused before anything runs; an extension runs on its source's model
and says so everywhere; a cancelled job never answers 202."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sora_emulator import SoraEmulator
from vertex_emulator import VertexEmulator

from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate_api.http.app import create_app
from reelgate_flows.backfill import backfill
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.spend import Budgets, SpendLedger
from reelgate_flows.settings import Settings
from tests.test_cli import reelgate


def sora_body(prompt: str, customer: str) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": customer,
        "settings": {"video": {"model": "sora-2", "duration_seconds": 4}},
    }


def budget_of(customer: str, daily_usd: float) -> str:
    return json.dumps({"customers": {customer: {"daily_usd": daily_usd}}})


async def test_a_backfill_pays_only_what_fits_the_customers_budget_and_is_recorded(
    sora: SoraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = f"frugal-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("REELGATE_BUDGETS", budget_of(customer, 1.0))
    items = [sora_body(f"take {n}", customer) for n in range(5)]  # $0.40 each

    report = await backfill(requests=items, name=f"budget-{customer}")

    assert report["counts"] == {"succeeded": 2, "failed": 3}, report
    assert sora.submissions == 2
    refused = [item for item in report["items"] if item["status"] == "failed"]
    assert all("left of the daily limit of $1" in item["error"] for item in refused)
    records = JobRecords(Settings.current().job_records_url())
    try:
        for item in report["items"]:
            record = await records.get(item["job_id"])
            assert record is not None and record.customer_id == customer
            assert (record.provider, record.model) == ("openai", "sora-2")
        ledger = SpendLedger(records, Budgets.load(budget_of(customer, 1.0), None))
        assert await ledger.spent(customer, "daily") == pytest.approx(0.8)
    finally:
        records.close()


def test_the_cli_in_process_answers_to_the_budget(sora: SoraEmulator, tmp_path: Path) -> None:
    customer = f"broke-{uuid.uuid4().hex[:6]}"
    done = reelgate(
        "generate",
        "a kite",
        "--in-process",
        "--model",
        "sora-2",
        "--duration",
        "4",
        "--customer-id",
        customer,
        cwd=tmp_path,
        env={**sora.environ(), "REELGATE_BUDGETS": budget_of(customer, 0.0)},
    )
    assert done.returncode == 1, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "budget_exceeded" and error["remaining_usd"] == 0.0
    assert sora.submissions == 0


def test_a_schedule_of_an_unknown_model_fails_fast_and_creates_nothing(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps({**sora_body("nightly", "acme"), "settings": {"video": {"model": "lokal"}}})
    )
    began = time.monotonic()
    done = reelgate(
        "schedule", "nightly", "--request", str(request), "--every", "3600", cwd=tmp_path
    )
    took = time.monotonic() - began
    assert done.returncode == 2, done.stdout + done.stderr
    assert "unknown model" in done.stderr.lower() or "lokal" in done.stderr
    assert "scheduled" not in done.stdout
    assert took < 3.0, f"took {took:.1f} s"


def test_an_estimate_needs_no_provider_credentials(tmp_path: Path) -> None:
    done = reelgate(
        "generate",
        "a cat",
        "--model",
        "veo-3.1-fast",
        "--duration",
        "8",
        "--resolution",
        "1080p",
        "--estimate",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    assert (answer["provider"], answer["cost"]["amount"]) == ("gemini", pytest.approx(0.96))


async def test_the_estimate_the_400_and_the_job_agree_on_a_rule_between_settings(
    vertex: VertexEmulator,
) -> None:
    six_at_1080 = {
        "prompt": "a lighthouse",
        "customer_id": "c-1",
        "settings": {
            "video": {"model": "veo-3.1-fast", "duration_seconds": 6, "resolution": "1080p"}
        },
    }
    async with AsyncTestClient(app=create_app(), timeout=60) as client:
        answers = [
            await client.post(path, json=six_at_1080) for path in ("/video/estimate", "/video/jobs")
        ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert "1080p videos only 8 seconds long" in answer.json()["error"]["message"]
    assert answers[0].json() == answers[1].json()
    assert vertex.submissions == 0


async def test_an_extension_of_a_local_job_is_local_everywhere() -> None:
    async with AsyncTestClient(app=create_app(), timeout=120) as client:
        first = await client.post(
            "/video/generate",
            json={
                "prompt": "a pond",
                "customer_id": "ext-1",
                "settings": {
                    "video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}
                },
            },
        )
        assert first.status_code == 200, first.text
        extension = {
            "prompt": "ripples",
            "customer_id": "ext-1",
            "video_id": first.json()["data"]["job_id"],
            "settings": {"video": {"duration_seconds": 1}},
        }
        started = await client.post("/video/jobs", json=extension)
        assert started.status_code == 202, started.text
        job_id = started.json()["data"]["job_id"]
        providers = set()
        for _ in range(600):
            status = (await client.get(f"/video/jobs/{job_id}")).json()
            providers.add(status["provider"])
            if status["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
        assert status["status"] == "succeeded", status
        assert status["data"]["provider"] == "local" and providers == {"local"}
        assert "job_id" not in status["data"] or status["data"]["job_id"] == job_id
        metrics = (await client.get("/metrics")).text
    assert 'provider="gemini"' not in metrics
    assert 'reelgate_jobs_started_total{provider="local"}' in metrics


async def test_a_cancelled_job_never_answers_202(fake: FakeProvider) -> None:
    fake.poll_script = [Running(progress=0.1, poll_after_seconds=0.1)] * 10_000
    async with AsyncTestClient(app=create_app(), timeout=60) as client:
        body = {"prompt": "a loop", "customer_id": "c-9", "settings": {"video": {"model": "fake"}}}
        job_id = (await client.post("/video/jobs", json=body)).json()["data"]["job_id"]
        queued = (await client.get(f"/video/jobs/{job_id}")).json()
        assert queued["code"] == 202 and "data" not in queued
        assert (await client.delete(f"/video/jobs/{job_id}")).status_code == 200
        ended = (await client.get(f"/video/jobs/{job_id}")).json()
    assert ended["status"] == "cancelled" and ended["success"] is False
    assert ended["code"] == 409 and ended["error"]["type"] == "cancelled"
    assert list(ended).count("job_id") == 1 and "data" not in ended
