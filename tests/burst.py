"""A burst of concurrent ``POST /video/jobs``, followed until every job ended (shared by the
burst test and ``bench/api_burst.py``)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
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


Answer = tuple[int, str | None, float]
"""A burst request's status code, job id (of a 202) and seconds to its answer."""


async def run_burst(
    client: AsyncTestClient[Any] | httpx.AsyncClient,
    jobs: int,
    deadline_seconds: float,
    payload: dict[str, Any] | None = None,
    send: Callable[[int, dict[str, Any]], Awaitable[list[Answer]]] | None = None,
) -> BurstOutcome:
    """Send ``jobs`` requests at once (through ``client``, or ``send`` when given: another
    HTTP client whose own cost does not hide the server's), then poll every job through
    ``client`` until it ended or the deadline."""
    began = time.monotonic()

    async def post() -> Answer:
        sent = time.monotonic()
        answer = await client.post("/video/jobs", json=payload or PAYLOAD)
        job_id = answer.json()["data"]["job_id"] if answer.status_code == 202 else None
        return answer.status_code, job_id, time.monotonic() - sent

    if send is not None:
        answers = await send(jobs, payload or PAYLOAD)
    else:
        answers = list(await asyncio.gather(*(post() for _ in range(jobs))))
    accepted = time.monotonic() - began
    job_ids = {job_id for _, job_id, _ in answers if job_id is not None}
    pending, deadline = set(job_ids), time.monotonic() + deadline_seconds
    statuses: Counter[str] = Counter()
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            status = (await client.get(f"/video/jobs/{job_id}")).json()["status"]
            if status in ("succeeded", "failed", "cancelled"):
                statuses[status] += 1
                pending.discard(job_id)
        await asyncio.sleep(0.3)
    seconds = [taken for _, _, taken in answers]
    return BurstOutcome(
        answer_codes=Counter(code for code, _, _ in answers),
        statuses=statuses,
        unfinished=len(pending) + (jobs - len(job_ids)),
        accept_seconds=accepted,
        slowest_accept_seconds=max(seconds),
        accept_p50_seconds=_quantile(seconds, 0.5),
        accept_p99_seconds=_quantile(seconds, 0.99),
        total_seconds=time.monotonic() - began,
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * q) - 1)]
