"""A job waiting on its provider holds no busy slot (issue 12): with one slot, every job of a
burst reaches the provider and waits there at once, and all of them finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kling_emulator import KlingEmulator
from litestar.testing import AsyncTestClient

from reelgate.testing import request_body
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings

JOBS = 6


@pytest.fixture
async def one_slot_client() -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(ApiSettings(sync_timeout_seconds=60, max_running_jobs=1))
    async with AsyncTestClient(app=app, timeout=120) as client:
        yield client


async def test_waiting_jobs_beyond_the_busy_limit_all_progress(
    one_slot_client: AsyncTestClient[Any], kling: KlingEmulator
) -> None:
    kling.seconds_to_finish = 3600.0  # every task waits at the provider until released below
    body = request_body("tide pools", customer_id="waiters", model="kling-v2-6", duration_seconds=5)
    job_ids = []
    for _ in range(JOBS):
        accepted = await one_slot_client.post("/video/jobs", json=body)
        assert accepted.status_code == 202
        job_ids.append(accepted.json()["data"]["job_id"])
    peak = 0
    for _ in range(600):
        peak = max(peak, kling.in_flight)
        if peak == JOBS:
            break
        await asyncio.sleep(0.05)
    assert peak == JOBS, f"only {peak} of {JOBS} jobs reached the provider with one busy slot"
    statuses = [(await one_slot_client.get(f"/video/jobs/{j}")).json()["status"] for j in job_ids]
    assert statuses == ["running"] * JOBS

    kling.seconds_to_finish = 0.0
    for job_id in job_ids:
        for _ in range(600):
            status = (await one_slot_client.get(f"/video/jobs/{job_id}")).json()["status"]
            if status != "running" and status != "queued":
                break
            await asyncio.sleep(0.05)
        assert status == "succeeded"
    assert kling.submissions == JOBS
