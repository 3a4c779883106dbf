"""Budgets that are never overrun: a request whose estimate does not fit what is left is
refused before anything is submitted (402), reservations settle to what was delivered and are
released when nothing could have been billed; and the limit holds under concurrent requests
to two API processes sharing their records on PostgreSQL, with two workers running the jobs."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kling_emulator import KlingEmulator
from litestar.testing import AsyncTestClient
from sora_emulator import SoraEmulator

from reelgate.testing import request_body
from reelgate_api.app import create_app
from reelgate_api.settings import ApiSettings
from tests.prefect_server import PrefectServer, postgres_reachable
from tests.processes import ApiProcess, eventually, jobs_ended, run_cli, worker

BUDGETS = {"customers": {"thrifty": {"daily_usd": 0.8}, "capped": {"monthly_usd": 1.2}}}


@pytest.fixture
async def client(sora: SoraEmulator, kling: KlingEmulator) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(ApiSettings(budgets=json.dumps(BUDGETS)))
    async with AsyncTestClient(app=app, timeout=120) as test_client:
        yield test_client


def body(prompt: str, customer: str = "thrifty", **video: Any) -> dict[str, Any]:
    return request_body(prompt, customer_id=customer, model="sora-2", duration_seconds=4, **video)


async def test_a_request_that_does_not_fit_the_budget_is_refused_before_submission(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    rejected = await client.post("/video/generate", json=body("something forbidden"))
    assert rejected.status_code == 400, rejected.text  # refused by the provider: released
    for take in range(2):  # $0.40 each: two fit in $0.80
        made = await client.post("/video/generate", json=body(f"take {take}"))
        assert made.status_code == 200, made.text
    refused = await client.post("/video/generate", json=body("one too many"))
    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["type"] == "budget_exceeded" and error["limit"] == "daily customer"
    assert (error["remaining_usd"], error["estimate_usd"], error["limit_usd"]) == (0.0, 0.4, 0.8)
    assert "$0.4" in error["message"] and "customer thrifty" in error["message"]
    async_refused = await client.post("/video/jobs", json=body("later, maybe"))
    assert async_refused.status_code == 402
    assert sora.submissions == 2
    other = await client.post("/video/generate", json=body("no budget here", customer="free"))
    assert other.status_code == 200  # customers without a budget are not limited


async def test_a_repeated_request_answers_its_job_even_when_the_budget_is_spent(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    key = {"Idempotency-Key": f"order-{uuid.uuid4().hex[:6]}"}
    first = await client.post("/video/generate", json=body("the order", "capped"), headers=key)
    assert first.status_code == 200, first.text
    for take in range(2):  # $0.40 each: with the first, the monthly $1.20 is spent
        made = await client.post("/video/generate", json=body(f"more {take}", "capped"))
        assert made.status_code == 200, made.text
    again = await client.post("/video/generate", json=body("the order", "capped"), headers=key)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["job_id"] == first.json()["data"]["job_id"]
    refused = await client.post("/video/jobs", json=body("a fourth", "capped"))
    assert refused.status_code == 402 and refused.json()["error"]["limit"] == "monthly customer"
    assert sora.submissions == 3


async def test_a_model_without_a_price_cannot_spend_a_budget(client: AsyncTestClient[Any]) -> None:
    unpriced = request_body("x", customer_id="thrifty", model="kling-v2-6")
    refused = await client.post("/video/generate", json=unpriced)
    assert refused.status_code == 402, refused.text
    assert "known price" in refused.json()["error"]["message"]


pytestmark_fleet = pytest.mark.skipif(
    not postgres_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432"
)


@pytestmark_fleet
@pytest.mark.timeout(300)
def test_fifty_concurrent_requests_to_two_api_processes_fit_a_budget_of_ten(
    sora: SoraEmulator, tmp_path: Path
) -> None:
    server = PrefectServer(tmp_path / "prefect-server")
    server.start()
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    budgets = {"customers": {"fleet": {"daily_usd": 4.0}}}  # 10 x $0.40
    env = {
        **server.environ(),
        **sora.environ(),
        "REELGATE_DATABASE_URL": server.database_url,
        "REELGATE_BUDGETS": json.dumps(budgets),
        "REELGATE_EXECUTION": "deployment",
        "REELGATE_WORK_POOL": pool,
        "REELGATE_PLUGINS": "sora",
    }
    workers = [worker(f"w{n}-{pool}", pool, env, tmp_path) for n in (1, 2)]
    apis = [
        ApiProcess({**env, "REELGATE_EXECUTOR_NAME": f"api-{n}"}, tmp_path / f"api{n}.log")
        for n in (1, 2)
    ]
    try:
        run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
        for process in [*workers, *apis]:
            process.start()

        async def burst() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=None)
            async with (
                httpx.AsyncClient(base_url=apis[0].url, timeout=120, limits=limits) as one,
                httpx.AsyncClient(base_url=apis[1].url, timeout=120, limits=limits) as two,
            ):
                return await asyncio.gather(
                    *(
                        (one, two)[n % 2].post("/video/jobs", json=body(f"clip {n}", "fleet"))
                        for n in range(50)
                    )
                )

        answers = asyncio.run(burst())
        codes = Counter(answer.status_code for answer in answers)
        assert codes == {202: 10, 402: 40}, [
            a.text for a in answers if a.status_code not in (202, 402)
        ]
        job_ids = [a.json()["data"]["job_id"] for a in answers if a.status_code == 202]
        with apis[0].client() as http:
            eventually(lambda: jobs_ended(http, job_ids), 180, "ten jobs to end", poll=0.5)
            statuses = [http.get(f"/video/jobs/{j}").json()["status"] for j in job_ids]
        assert statuses == ["succeeded"] * 10, apis[0].tail()
        assert sora.submissions == 10
    finally:
        for process in [*apis, *workers]:
            process.stop()
        server.stop()


async def test_an_api_keys_budget_bounds_what_the_key_spends(sora: SoraEmulator) -> None:
    budgets = {"api_keys": {"key-intern": {"daily_usd": 0.4}}}
    keys = {"key-intern": ["interns"], "key-lead": ["interns"]}
    app = create_app(ApiSettings(budgets=json.dumps(budgets), api_keys=json.dumps(keys)))
    async with AsyncTestClient(app=app, timeout=120) as client:
        intern = {"Authorization": "Bearer key-intern"}
        first = await client.post("/video/generate", json=body("one", "interns"), headers=intern)
        assert first.status_code == 200, first.text
        second = await client.post("/video/generate", json=body("two", "interns"), headers=intern)
        assert second.status_code == 402 and second.json()["error"]["limit"] == "daily API key"
        assert "this API key" in second.json()["error"]["message"]
        lead = {"Authorization": "Bearer key-lead"}  # the same customer through another key
        third = await client.post("/video/generate", json=body("three", "interns"), headers=lead)
        assert third.status_code == 200, third.text
    assert sora.submissions == 2
