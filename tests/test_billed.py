"""A billed verdict on every failure (issue 30, part 4): ``error.billed`` is true, false or
"unknown" from facts (the plugin's statement, how far the job got), in the error, the job's
status and the metrics, and the budget releases a reservation only when it is false."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from seedance_emulator import SeedanceEmulator
from sora_emulator import SoraEmulator

from reelgate import errors
from reelgate.jobs import JobKind, ProviderJob
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.billed import billed_verdict
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.spend import Budgets, SpendLedger
from reelgate_flows.settings import Settings

JOB = ProviderJob(
    provider="openai",
    model="sora-2",
    provider_model="sora-2",
    kind=JobKind.TEXT,
    provider_job_id="video_1",
)


@pytest.mark.parametrize(
    ("error", "job", "submitted", "finished", "billed"),
    [
        (errors.ValidationError("bad"), None, False, False, False),
        (errors.RateLimitedError("slow down"), None, True, False, False),
        (errors.ContentRejectedError("refused at create"), None, True, False, False),
        (errors.ProviderUnavailableError("reset after sending"), None, True, False, "unknown"),
        (errors.ProviderError("failed", billed=False), JOB, True, False, False),
        (errors.ProviderError("failed"), JOB, True, False, "unknown"),
        (errors.JobTimeoutError("still running"), JOB, True, False, "unknown"),
        (errors.DownloadCorruptError("cut"), JOB, True, True, True),
        (errors.StorageError("down"), JOB, True, True, True),
    ],
)
def test_each_kind_of_failure_has_its_verdict(
    error: errors.ReelgateError,
    job: ProviderJob | None,
    submitted: bool,
    finished: bool,
    billed: bool | str,
) -> None:
    assert billed_verdict(error, job, submitted, finished) == billed


def sora_body(prompt: str, customer: str) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": customer,
        "settings": {"video": {"model": "sora-2", "duration_seconds": 4}},
    }


def seedance_body(prompt: str, customer: str) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": customer,
        "settings": {"video": {"model": "dreamina-seedance-2-0-260128", "duration_seconds": 5}},
    }


async def _holds(job_id: str) -> bool:
    records = JobRecords(Settings.current().job_records_url())
    try:
        return await SpendLedger(records, Budgets.load(None, None)).holds(job_id)
    finally:
        records.close()


async def test_failures_say_billed_and_the_budget_settles_by_it(
    sora: SoraEmulator, seedance: SeedanceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = f"billed-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("REELGATE_BUDGETS", json.dumps({"customers": {customer: {"daily_usd": 50}}}))
    for _ in range(4):  # every download attempt of the next finished video is cut short
        sora.faults.add("content", Fault("truncated"))
    cases = [
        (sora_body("a forbidden scene", customer), False),  # refused at create
        (sora_body("a lake [fail]", customer), "unknown"),  # the provider failed it, unsaid
        # Seedance bills no failed task (it has no verified price: a customer without a budget)
        (seedance_body("a fox [expire]", f"{customer}-free"), False),
        (sora_body("a kite", customer), True),  # finished, then every download broken
    ]
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        for body, billed in cases:
            answer = await client.post("/video/generate", json=body)
            assert answer.status_code >= 400, answer.text
            error = answer.json()["error"]
            assert error["billed"] == billed, (body["prompt"], error)
            job_id = error["job_id"]
            status = (await client.get(f"/video/jobs/{job_id}")).json()
            assert status["error"]["billed"] == billed, status
            assert await _holds(job_id) is (billed is not False), "released only when false"
        metrics = (await client.get("/metrics")).text
    for billed, count in (("false", 2), ("unknown", 1), ("true", 1)):
        assert f'reelgate_failed_jobs_total{{billed="{billed}"}} {count:.1f}' in metrics, metrics
    assert sora.submissions == 2 and seedance.submissions == 1
