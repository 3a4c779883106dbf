"""Routes on live provider health (:mod:`reelgate_flows.routing`): when one model starts
refusing, traffic moves to the other within the window (its circuit opens), comes back once
it recovers (a half-open probe closes it), and every paid create is counted. The circuit is
shown in ``/healthz``, ``/metrics`` and ``reelgate models``; a job never moves to another model
after an unclear submission, whatever the health says by then."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from rich.console import Console
from sora_emulator import SoraEmulator
from vertex_emulator import VertexEmulator

from reelgate.errors import ProviderUnavailableError, RateLimitedError
from reelgate.requests import GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate.testing import FakeProvider, request_body
from reelgate.testing.emulator import Fault
from reelgate_api.cli.models import print_models
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.flows import generate_video
from reelgate_flows.routing import health_report, route_of

RATE_LIMITED = Fault(
    "status",
    429,
    {"error": {"message": "slow down", "type": "rate_limit_exceeded", "code": None}},
    {"x-should-retry": "false"},
)
COOLDOWN = 2.0


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch, use_runtime: Any) -> None:
    for name, value in {
        "REELGATE_SUBMIT_RETRIES": "0",
        "REELGATE_CIRCUIT_REFUSALS": "3",
        "REELGATE_CIRCUIT_COOLDOWN_SECONDS": str(COOLDOWN),
        "REELGATE_HEALTH_WINDOW_SECONDS": "120",
        "REELGATE_ROUTES": json.dumps(
            {
                "house": ["sora-2", "veo-3.1-fast"],
                "healthiest": {"models": ["sora-2", "veo-3.1-fast"], "order": "health"},
                "cheapest": {"models": ["sora-2-pro", "sora-2"], "order": "price"},
                "fake-first": ["fake", "veo-3.1-fast"],
            }
        ),
    }.items():
        monkeypatch.setenv(name, value)
    use_runtime()


def job(route: str = "house") -> GenerateRequest:
    body = request_body("a harbour at dawn", customer_id="health", model=route, duration_seconds=8)
    return GenerateRequest.model_validate(body)


async def test_traffic_leaves_a_refusing_model_and_comes_back_once_it_recovers(
    routed: None, sora: SoraEmulator, vertex: VertexEmulator
) -> None:
    started = time.monotonic()
    timeline: list[tuple[float, str, int]] = []

    async def run(n: int) -> None:
        before = sora.faults.pending("create")
        envelope = await generate_video(job())
        tried = len(envelope["data"]["fallback"]["tried"])
        asked_sora = (
            before - sora.faults.pending("create") + (envelope["data"]["model"] == "sora-2")
        )
        timeline.append((round(time.monotonic() - started, 2), envelope["data"]["model"], tried))
        assert asked_sora in (0, 1), n

    await run(1)  # sora is healthy
    sora.faults.add("create", *[RATE_LIMITED] * 20)  # sora starts refusing
    for n in range(2, 5):
        await run(n)  # sora refuses (nothing paid), veo serves; the 3rd refusal opens it
    refusals_left = sora.faults.pending("create")
    for n in range(5, 7):
        await run(n)  # open: sora is not asked at all
    assert sora.faults.pending("create") == refusals_left

    report = await health_report()
    assert report["circuits"]["sora-2"]["state"] == "open"
    assert report["models"]["sora-2"]["counts"] == {"accepted": 1, "rate_limited": 3, "finished": 1}
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=60) as client:
        healthz = (await client.get("/healthz")).json()
        metrics = (await client.get("/metrics")).text
    assert healthz["circuits"]["sora-2"]["state"] == "open"
    assert 'reelgate_circuit_state{model="sora-2",provider="openai"} 1.0' in metrics
    assert 'reelgate_circuit_state{model="veo-3.1-fast",provider="gemini"} 0.0' in metrics
    assert 'reelgate_model_failure_rate{model="sora-2",provider="openai"} 0.75' in metrics
    console = Console(width=80, record=True)
    print_models(get_runtime(), console, report)
    shown = console.export_text()
    sora_block = shown[shown.index("sora-2 ·") : shown.index("sora-2-pro ·")]
    assert "circuit: open (opened " in sora_block
    assert "health: 3 of 4 failed · p50 " in sora_block

    sora.faults.clear()  # sora recovers
    time.sleep(COOLDOWN)
    await run(7)  # half-open: this job probes sora, which takes it; the circuit closes
    await run(8)
    assert [model for _, model, _ in timeline] == [
        "sora-2",
        "veo-3.1-fast",
        "veo-3.1-fast",
        "veo-3.1-fast",
        "veo-3.1-fast",
        "veo-3.1-fast",
        "sora-2",
        "sora-2",
    ]
    assert [tried for _, _, tried in timeline] == [0, 1, 1, 1, 0, 0, 0, 0]
    assert (sora.submissions, vertex.submissions) == (3, 5)  # one paid create per job
    assert (await health_report())["circuits"] == {}
    print("timeline (s, model, models passed over):", timeline)


async def test_a_health_route_puts_the_model_that_fails_less_first(
    routed: None, sora: SoraEmulator, vertex: VertexEmulator
) -> None:
    sora.faults.add("create", RATE_LIMITED)
    first = await generate_video(job("healthiest"))  # sora refuses once: 1 of 1 failed
    second = await generate_video(job("healthiest"))
    assert first["data"]["model"] == second["data"]["model"] == "veo-3.1-fast"
    assert second["data"]["fallback"]["tried"] == []  # veo first now: it failed less
    assert (sora.submissions, vertex.submissions) == (0, 2)


async def test_a_price_route_tries_the_cheapest_first(routed: None, sora: SoraEmulator) -> None:
    assert await route_of(job("cheapest"), "job-price") == ["sora-2", "sora-2-pro"]


async def test_after_an_unclear_submit_the_job_never_moves_whatever_the_health(
    routed: None, use_runtime: Any, vertex: VertexEmulator
) -> None:
    """The first run's create was unclear (the provider may have taken it); the model's
    circuit then opens. Every re-run of the same job tries that model alone: a refusal there
    is the job's error, never a move to veo."""
    fake = FakeProvider()
    use_runtime(("fake", fake))
    key = "pinned-route"
    fake.submit_errors.append(ProviderUnavailableError("the answer was lost"))
    with pytest.raises(ProviderUnavailableError):
        await generate_video(job("fake-first"), idempotency_key=key)
    for _ in range(2):  # with the unclear one, other jobs' refusals open the circuit
        fake.submit_errors.append(RateLimitedError("slow down"))
        served = await generate_video(job("fake-first"))
        assert served["data"]["model"] == "veo-3.1-fast"
    assert (await health_report())["circuits"]["fake"]["state"] == "open"
    assert await route_of(job("fake-first"), "a-new-job") == ["veo-3.1-fast", "fake"]
    assert await route_of(job("fake-first"), key) == ["fake"]
    fake.submit_errors.append(RateLimitedError("slow down"))
    with pytest.raises(RateLimitedError):  # a refusal now proves only this create was not taken
        await generate_video(job("fake-first"), idempotency_key=key)
    again = await generate_video(job("fake-first"), idempotency_key=key)
    assert again["data"]["model"] == "fake"
    assert (fake.submissions, vertex.submissions) == (1, 2)  # nothing of this job went to veo


async def test_a_run_that_reuses_its_submission_is_not_counted_as_accepted_again(
    routed: None, use_runtime: Any
) -> None:
    fake = FakeProvider()
    use_runtime(("fake", fake))
    body = request_body("once", customer_id="health", model="fake", duration_seconds=1)
    for _ in range(2):
        await generate_video(GenerateRequest.model_validate(body), idempotency_key="same-key")
    counts = (await health_report())["models"]["fake"]["counts"]
    assert fake.submissions == 1 and counts["accepted"] == 1, counts
