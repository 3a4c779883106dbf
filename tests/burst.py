"""A burst of concurrent ``POST /video/jobs``, followed until every job ended (shared by the
burst test and ``bench/api_burst.py``)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

PAYLOAD = {
    "prompt": "burst",
    "customer_id": "burst",
    "settings": {"video": {"model": "fake", "duration_seconds": 1}},
}


@dataclass(frozen=True)
class BurstOutcome:
    answer_codes: Counter[int]
    statuses: Counter[str]
    unfinished: int
    accept_seconds: float
    slowest_accept_seconds: float
    accept_p50_seconds: float
    accept_p99_seconds: float
    total_seconds: float


async def run_burst(
    client: AsyncTestClient[Any] | httpx.AsyncClient,
    jobs: int,
    deadline_seconds: float,
    payload: dict[str, Any] | None = None,
) -> BurstOutcome:
    """Send ``jobs`` requests at once, then poll every job until it ended or the deadline."""
    began = time.monotonic()

    async def post() -> tuple[Any, float]:
        sent = time.monotonic()
        answer = await client.post("/video/jobs", json=payload or PAYLOAD)
        return answer, time.monotonic() - sent

    answers = await asyncio.gather(*(post() for _ in range(jobs)))
    accepted = time.monotonic() - began
    job_ids = {a.json()["data"]["job_id"] for a, _ in answers if a.status_code == 202}
    pending, deadline = set(job_ids), time.monotonic() + deadline_seconds
    statuses: Counter[str] = Counter()
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            status = (await client.get(f"/video/jobs/{job_id}")).json()["status"]
            if status in ("succeeded", "failed", "cancelled"):
                statuses[status] += 1
                pending.discard(job_id)
        await asyncio.sleep(0.3)
    return BurstOutcome(
        answer_codes=Counter(a.status_code for a, _ in answers),
        statuses=statuses,
        unfinished=len(pending) + (jobs - len(job_ids)),
        accept_seconds=accepted,
        slowest_accept_seconds=max(seconds for _, seconds in answers),
        accept_p50_seconds=_quantile([seconds for _, seconds in answers], 0.5),
        accept_p99_seconds=_quantile([seconds for _, seconds in answers], 0.99),
        total_seconds=time.monotonic() - began,
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * q) - 1)]
