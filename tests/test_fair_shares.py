"""Fair shares per customer (:mod:`reelgate_flows.fair_shares`): a provider's slots go
round-robin across customers, so one customer's burst never starves another's single job;
``REELGATE_IN_FLIGHT`` caps each customer's jobs in flight, queueing them in order or refusing
them with a 429 and ``Retry-After``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prefect.client.orchestration import get_client
from sora_emulator import SoraEmulator

from reelgate.testing import request_body
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.fair_shares import InFlightLimits, granted
from reelgate_flows.limits import limit_name, set_provider_limit
from reelgate_flows.records.in_flight import Counted

TURNOVER = 3.0
"""Seconds each job spends at the provider: the time one slot takes to free."""


def body(prompt: str, customer: str) -> dict[str, Any]:
    return request_body(prompt, customer_id=customer, model="sora-2", duration_seconds=4)


@pytest.fixture
async def limited(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """The openai provider limited to ``param`` slots, for one test."""
    async with get_client() as prefect:
        await set_provider_limit(prefect, "openai", request.param)
    yield
    async with get_client() as prefect:
        await prefect.delete_global_concurrency_limit_by_name(limit_name("openai"))


async def until(check: Callable[[], bool], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("limited", [4], indirect=True)
async def test_one_job_of_b_reaches_the_provider_within_one_slot_turnover_of_a_burst(
    limited: None, sora: SoraEmulator
) -> None:
    sora.seconds_to_finish = TURNOVER
    app = create_app(ApiSettings(provider_limits=True))
    async with AsyncTestClient(app=app, timeout=120) as client:
        for n in range(50):
            answer = await client.post("/video/jobs", json=body(f"a-{n}", "big-backfill"))
            assert answer.status_code == 202, answer.text
        await until(lambda: sora.submissions >= 4)  # A holds every slot
        asked = time.monotonic()
        answer = await client.post("/video/jobs", json=body("b-single", "small"))
        assert answer.status_code == 202, answer.text
        b_job = answer.json()["data"]["job_id"]
        steps: list[tuple[float, Any, Any]] = []  # when B's job changed status or step
        creates: list[tuple[float, int]] = []  # how many creates the provider had, when
        while not any(v.prompt == "b-single" for v in list(sora.videos.values())):
            status = (await client.get(f"/video/jobs/{b_job}")).json()
            now = (status.get("status"), status.get("step"))
            when = round(time.monotonic() - asked, 2)
            creates.append((when, len(sora.videos)))
            if not steps or steps[-1][1:] != now:
                steps.append((when, *now))
            await asyncio.sleep(0.05)
        waited = time.monotonic() - asked
        order = [v.prompt for v in list(sora.videos.values())]
        sora.seconds_to_finish = 0.0  # let A's queue drain
        await until(lambda: len(sora.videos) == 51, 240)
        status = (await client.get(f"/video/jobs/{b_job}")).json()
    a_before_b = order.index("b-single")
    at_share = next(when for when, _, step in steps if step == "submit")
    a_at_share = next(count for when, count in creates if when >= at_share)
    print(
        f"B waited {waited:.2f} s, {waited - at_share:.2f} s of it at its share (slot turnover "
        f"{TURNOVER} s); its steps {steps}; A's creates before B's: {a_before_b} of 50, "
        f"{a_before_b - a_at_share} of them while B waited at its share"
    )
    assert a_before_b - a_at_share <= 3, order  # at most the slots that freed with B's
    assert a_before_b <= 4 * 4, order  # far from the end of A's queue (50)
    assert status["status"] in ("running", "succeeded"), status


def counted(job: str, customer: str, state: str, at: float, provider: str = "openai") -> Counted:
    import datetime

    since = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=at)
    return Counted(job, customer, None, provider, state, since)


def test_slots_go_round_robin_across_customers_each_in_order() -> None:
    rows = [
        counted("a1", "a", "holding", 0),
        counted("a2", "a", "holding", 1),
        *(counted(f"a{n}", "a", "waiting", n) for n in range(3, 9)),
        counted("b1", "b", "waiting", 20),
        counted("b2", "b", "waiting", 21),
        counted("c1", "c", "waiting", 30),
    ]
    no_shares = InFlightLimits()
    assert granted(rows, "openai", 2, no_shares) == set()  # both slots held
    assert granted(rows, "openai", 3, no_shares) == {"b1"}  # b holds none, waited longest
    assert granted(rows, "openai", 5, no_shares) == {"b1", "c1", "b2"}
    assert granted(rows, "openai", None, no_shares) == {f"a{n}" for n in range(3, 9)} | {
        "b1",
        "b2",
        "c1",
    }
    capped = InFlightLimits(customers={"a": 3, "*": 1})
    assert granted(rows, "openai", 6, capped) == {"b1", "c1", "a3"}  # a: 2 held, 1 more
    assert granted(rows, "kling", 6, capped) == set()  # nobody waits there


@pytest.fixture
async def capped(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncTestClient[Any]]:
    shares = {"customers": {"capped": 1, "*": 5}, "when_full": request.param}
    app = create_app(ApiSettings(in_flight=json.dumps(shares)))
    async with AsyncTestClient(app=app, timeout=120) as client:
        yield client


@pytest.mark.parametrize("capped", ["queue"], indirect=True)
async def test_a_full_share_queues_its_customers_next_job_and_not_others(
    capped: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    sora.seconds_to_finish = 600.0  # until the test says
    first = (await capped.post("/video/jobs", json=body("capped first", "capped"))).json()
    second = (await capped.post("/video/jobs", json=body("capped second", "capped"))).json()
    other = (await capped.post("/video/jobs", json=body("someone else", "roomy"))).json()
    await until(lambda: sora.submissions == 2)
    assert {v.prompt for v in list(sora.videos.values())} == {"capped first", "someone else"}
    await asyncio.sleep(1.0)  # capped second waits at its share, whatever the time
    assert sora.submissions == 2
    sora.seconds_to_finish = 0.0
    await until(lambda: sora.submissions == 3)
    assert list(sora.videos.values())[-1].prompt == "capped second"
    for job in (first, second, other):
        done = await capped.get(f"/video/jobs/{job['data']['job_id']}")
        assert done.status_code in (200, 202), done.text


@pytest.mark.parametrize("capped", ["reject"], indirect=True)
async def test_a_full_share_that_rejects_answers_429_with_retry_after(
    capped: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    sora.seconds_to_finish = 60.0
    first = await capped.post("/video/jobs", json=body("capped first", "capped"))
    assert first.status_code == 202, first.text
    refused = await capped.post("/video/jobs", json=body("capped second", "capped"))
    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"] == "30"
    error = refused.json()["error"]
    assert (error["type"], error["limit"]) == ("too_many_in_flight", 1)
    other = await capped.post("/video/jobs", json=body("someone else", "roomy"))
    assert other.status_code == 202, other.text
    job_id = first.json()["data"]["job_id"]
    assert (await capped.delete(f"/video/jobs/{job_id}")).status_code == 200
    for _ in range(600):  # the cancelled job's share comes back
        again = await capped.post("/video/jobs", json=body("capped again", "capped"))
        if again.status_code == 202:
            break
        await asyncio.sleep(0.05)
    assert again.status_code == 202, again.text


def test_an_api_keys_share_binds_its_jobs_whoever_their_customer() -> None:
    from reelgate_flows.idempotency import key_id_of

    secret = b"server-secret"
    limits = InFlightLimits.load(json.dumps({"api_keys": {"key-of-partner": 1}}), secret)
    partner = key_id_of("key-of-partner", secret)
    assert limits.of_key(partner) == 1 and limits.of_key(key_id_of("other", secret)) is None
    holding = [Counted("p1", "shop-1", partner, "openai", "holding", counted("x", "", "", 0).since)]
    assert not limits.room_for("shop-2", partner, holding)  # another customer, the same key
    assert limits.room_for("shop-2", None, holding)
    with pytest.raises(Exception, match="REELGATE_IN_FLIGHT"):
        InFlightLimits.load('{"customers": {"acme": -1}}')
