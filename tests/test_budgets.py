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
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from tests.prefect_server import PrefectServer, postgres_reachable
from tests.processes import ApiProcess, eventually, jobs_ended, run_cli, worker

BUDGETS = {
    "customers": {
        "thrifty": {"daily_usd": 0.8},
        "capped": {"monthly_usd": 1.2},
        "rerun": {"daily_usd": 0.8},
        "rerun-capped": {"monthly_usd": 1.2},
        "cancel": {"daily_usd": 0.8},
    }
}


@pytest.fixture
async def client(
    sora: SoraEmulator, kling: KlingEmulator, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncTestClient[Any]]:
    """The budgeted API; a test's indirect parameter adds settings of its own."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    app = create_app(ApiSettings(budgets=json.dumps(BUDGETS), **overrides))
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
    """The API processes price sora-2 at $0.10/s from their prices file; the workers have no
    file (the plugin's price, $0.10/s too, would do) but are told $0.05/s: each job is still
    costed and settled at the $0.40 its admission reserved, so exactly ten fit $4.00 and an
    eleventh stays refused after the ten settled."""
    server = PrefectServer(tmp_path / "prefect-server")
    server.start()
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    budgets = {"customers": {"fleet": {"daily_usd": 4.0}}}  # 10 x $0.40
    rate = {"rates": [{"usd_per_second": 0.10}], "as_of": "2026-12-01", "source": "api"}
    (tmp_path / "api-prices.json").write_text(json.dumps({"sora-2": rate}))
    cheap = {**rate, "rates": [{"usd_per_second": 0.05}], "source": "a stale worker"}
    (tmp_path / "worker-prices.json").write_text(json.dumps({"sora-2": cheap}))
    env = {
        **server.environ(),
        **sora.environ(),
        "REELGATE_DATABASE_URL": server.database_url,
        "REELGATE_BUDGETS": json.dumps(budgets),
        "REELGATE_EXECUTION": "deployment",
        "REELGATE_WORK_POOL": pool,
        "REELGATE_PLUGINS": "sora",
    }
    worker_env = {**env, "REELGATE_PRICES_FILE": str(tmp_path / "worker-prices.json")}
    workers = [worker(f"w{n}-{pool}", pool, worker_env, tmp_path) for n in (1, 2)]
    api_env = {**env, "REELGATE_PRICES_FILE": str(tmp_path / "api-prices.json")}
    apis = [
        ApiProcess({**api_env, "REELGATE_EXECUTOR_NAME": f"api-{n}"}, tmp_path / f"api{n}.log")
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
            views = [http.get(f"/video/jobs/{j}").json() for j in job_ids]
            assert [v["status"] for v in views] == ["succeeded"] * 10, apis[0].tail()
            assert {v["data"]["cost"]["amount"] for v in views} == {0.4}, "the admission's price"
            after = http.post("/video/jobs", json=body("after the ten settled", "fleet"))
            assert after.status_code == 402, "settled at $0.40 each, not the workers' $0.20"
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


@pytest.mark.parametrize("client", [{"submit_retries": 0}], indirect=True)
async def test_a_rerun_under_its_key_holds_a_reservation_again(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    """A job that failed before the provider took it (released) and is sent again under its
    Idempotency-Key may be billed this time: it must fit what is left, and it is counted."""
    sora.faults.add(
        "create", Fault("status", 429, {"error": {"message": "slow down", "type": "rate_limit"}})
    )
    key = {"Idempotency-Key": f"again-{uuid.uuid4().hex[:6]}"}
    failed = await client.post("/video/generate", json=body("the order", "rerun"), headers=key)
    assert failed.status_code == 502 and failed.json()["error"]["retryable"] is True
    for take in range(2):  # $0.40 each: the day's $0.80 is spent
        made = await client.post("/video/generate", json=body(f"take {take}", "rerun"))
        assert made.status_code == 200, made.text
    again = await client.post("/video/generate", json=body("the order", "rerun"), headers=key)
    assert again.status_code == 402, again.text
    assert again.json()["error"]["type"] == "budget_exceeded"
    assert sora.submissions == 2

    roomy = {"Idempotency-Key": f"roomy-{uuid.uuid4().hex[:6]}"}
    sora.faults.add(
        "create", Fault("status", 429, {"error": {"message": "slow down", "type": "rate_limit"}})
    )
    first = await client.post("/video/generate", json=body("x", "rerun-capped"), headers=roomy)
    assert first.status_code == 502
    for _ in range(2):  # the re-run is counted: $0.40 + two more = the month's $1.20
        rerun = await client.post("/video/generate", json=body("x", "rerun-capped"), headers=roomy)
        assert rerun.status_code == 200, rerun.text
    made = await client.post("/video/generate", json=body("second", "rerun-capped"))
    assert made.status_code == 200, made.text
    made = await client.post("/video/generate", json=body("third", "rerun-capped"))
    assert made.status_code == 200, made.text
    refused = await client.post("/video/generate", json=body("fourth", "rerun-capped"))
    assert refused.status_code == 402, refused.text
    assert sora.submissions == 5


@pytest.mark.parametrize("client", [{"provider_limits": True}], indirect=True)
async def test_a_job_cancelled_before_it_submitted_gives_its_reservation_back(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    """The second of two $0.40 jobs waits for the provider's only slot; cancelled there, it
    never submitted, so the day's $0.80 has room for another job at once."""
    from prefect.client.orchestration import get_client

    from reelgate_flows.limits import limit_name, set_provider_limit

    sora.seconds_to_finish = 20.0
    async with get_client() as prefect:
        await set_provider_limit(prefect, "openai", 1)
    try:
        first = await client.post("/video/jobs", json=body("holds the slot", "cancel"))
        assert first.status_code == 202, first.text
        await _until(lambda: sora.submissions == 1)
        second = (await client.post("/video/jobs", json=body("waits", "cancel"))).json()["data"]
        await _until_step(client, second["job_id"], "submit")
        cancelled = await client.delete(f"/video/jobs/{second['job_id']}")
        assert cancelled.status_code == 200, cancelled.text
        third = await client.post("/video/jobs", json=body("fits again", "cancel"))
        assert third.status_code == 202, third.text
        assert sora.submissions == 1
    finally:
        async with get_client() as prefect:
            await prefect.delete_global_concurrency_limit_by_name(limit_name("openai"))


async def _until(check: Any, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")


async def _until_step(client: AsyncTestClient[Any], job_id: str, step: str) -> None:
    for _ in range(600):
        status = (await client.get(f"/video/jobs/{job_id}")).json()
        if status.get("step") == step or status.get("data", {}).get("step") == step:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {step}: {status}")


async def test_an_extension_costs_what_its_model_bills_everywhere(
    use_runtime: Any, tmp_path: Path
) -> None:
    """An extension bills the seconds it adds (the local model, priced at $0.10/s here): its
    returned video holds its source too, yet the estimate, the reservation, the settlement and
    ``data.cost`` agree, and the budget stays a cap."""
    prices = tmp_path / "prices.json"
    rate = {"rates": [{"usd_per_second": 0.1}], "as_of": "2026-12-01", "source": "test"}
    prices.write_text(json.dumps({"local": rate}))
    use_runtime(environ={"REELGATE_PRICES_FILE": str(prices)})
    budgets = {"customers": {"extender": {"daily_usd": 1.6}}}
    app = create_app(ApiSettings(budgets=json.dumps(budgets), sync_timeout_seconds=120))

    def local(prompt: str, seconds: int, **fields: Any) -> dict[str, Any]:
        made = request_body(prompt, customer_id="extender", model="local", **fields)
        made["settings"]["video"].update(duration_seconds=seconds, resolution="360p")
        return made

    async with AsyncTestClient(app=app, timeout=120) as client:
        made = await client.post("/video/generate", json=local("a cliff", 6))
        assert made.status_code == 200, made.text
        assert made.json()["data"]["cost"]["amount"] == 0.6
        extension = {**local("then the sea", 2), "video_id": made.json()["data"]["job_id"]}
        estimate = (await client.post("/video/estimate", json=extension)).json()["data"]["cost"]
        extended = await client.post("/video/extend", json=extension)
        assert extended.status_code == 200, extended.text
        data = extended.json()["data"]
        assert data["duration"] >= 7.5, "the returned video holds its source too"
        assert data["cost"]["amount"] == estimate["amount"] == 0.2
        assert "added by the extension" in data["cost"]["basis"]
        fits = await client.post("/video/generate", json=local("a gull", 8))  # 0.6+0.2+0.8
        assert fits.status_code == 200, fits.text
        over = await client.post("/video/generate", json=local("one more", 1))
        assert over.status_code == 402, over.text
