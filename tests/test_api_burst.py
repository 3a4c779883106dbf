"""A burst of 200 concurrent async jobs on the embedded default (Prefect's SQLite API): every
request is answered 202 and every job completes — none lost, no 5xx."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from reelgate.testing import FakeProvider
from reelgate_api.app import create_app
from reelgate_api.settings import ApiSettings

JOBS = 200


@pytest.mark.timeout(660)  # on a busy 2-core machine the burst alone takes 4-5 minutes
async def test_two_hundred_concurrent_jobs_all_finish(fake: FakeProvider) -> None:
    app = create_app(ApiSettings(max_running_jobs=2))
    payload = {
        "prompt": "burst",
        "customer_id": "burst",
        "settings": {"video": {"model": "fake", "duration_seconds": 1}},
    }
    async with AsyncTestClient(app=app, timeout=600) as client:
        answers = await asyncio.gather(
            *(client.post("/video/jobs", json=payload) for _ in range(JOBS))
        )
        assert sorted({a.status_code for a in answers}) == [202]
        job_ids = {a.json()["data"]["job_id"] for a in answers}
        assert len(job_ids) == JOBS
        pending, deadline = set(job_ids), time.monotonic() + 600
        statuses: dict[str, Any] = {}
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                job = (await client.get(f"/video/jobs/{job_id}")).json()
                if job["status"] in ("succeeded", "failed"):
                    statuses[job_id] = job["status"]
                    pending.discard(job_id)
            await asyncio.sleep(0.5)
    assert not pending, f"{len(pending)} jobs never finished"
    assert set(statuses.values()) == {"succeeded"}
    assert fake.submissions == JOBS
