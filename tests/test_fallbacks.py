"""Fallbacks that never pay twice: a request moves to its next model only when the earlier one
provably took nothing (rate limited, not configured), never after an unclear submission; the
envelope says which model served and which were tried; route aliases name a list of models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sora_emulator import SoraEmulator
from vertex_emulator import VertexEmulator

from reelgate.errors import RateLimitedError
from reelgate.requests import GenerateRequest
from reelgate.testing import request_body
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.flows import generate_video

RATE_LIMITED = Fault(
    "status",
    429,
    {"error": {"message": "slow down", "type": "rate_limit_exceeded", "code": None}},
    {"x-should-retry": "false"},
)


def sora_first(**video: Any) -> GenerateRequest:
    body = request_body(
        "a harbour at dawn",
        customer_id="fallbacks",
        model="sora-2",
        duration_seconds=8,
        aspect_ratio="16:9",
        fallback_models=["veo-3.1-fast"],
        **video,
    )
    return GenerateRequest.model_validate(body)


@pytest.fixture
def no_submit_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELGATE_SUBMIT_RETRIES", "0")


async def test_a_rate_limited_model_falls_back_and_one_create_is_paid(
    sora: SoraEmulator, vertex: VertexEmulator, no_submit_retries: None
) -> None:
    sora.faults.add("create", RATE_LIMITED)
    envelope = await generate_video(sora_first())
    data = envelope["data"]
    assert (data["model"], data["provider"]) == ("veo-3.1-fast", "gemini")
    assert data["fallback"]["served_by"] == "veo-3.1-fast"
    assert [(t["model"], t["reason"]) for t in data["fallback"]["tried"]] == [
        ("sora-2", "rate_limited")
    ]
    assert (sora.submissions, vertex.submissions) == (0, 1)
    assert data["cost"]["amount"] == pytest.approx(0.8)  # veo-3.1-fast at 720p, 8 s


async def test_a_503_proven_not_accepted_falls_back(
    sora: SoraEmulator, vertex: VertexEmulator, no_submit_retries: None
) -> None:
    unavailable = {"error": {"message": "overloaded", "type": "server_error", "code": None}}
    sora.faults.add("create", Fault("status", 503, unavailable, {"x-should-retry": "false"}))
    envelope = await generate_video(sora_first())
    data = envelope["data"]
    assert data["model"] == "veo-3.1-fast", envelope
    assert [t["model"] for t in data["fallback"]["tried"]] == ["sora-2"]
    assert (sora.submissions, vertex.submissions) == (0, 1)  # sora's lookup proved it took none


async def test_a_lost_answer_after_billing_never_falls_back(
    sora: SoraEmulator, vertex: VertexEmulator, no_submit_retries: None
) -> None:
    sora.faults.add("create", Fault("reset_after"))  # sora accepted it; the answer was lost
    envelope = await generate_video(sora_first())
    assert envelope["data"]["model"] == "sora-2", envelope
    assert envelope["data"]["fallback"]["tried"] == []
    assert (sora.submissions, vertex.submissions) == (1, 0)


async def test_the_last_models_refusal_is_the_jobs_error(
    sora: SoraEmulator, vertex: VertexEmulator, no_submit_retries: None
) -> None:
    sora.faults.add("create", RATE_LIMITED)
    vertex.faults.add(
        "create",
        Fault(
            "status",
            429,
            {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}},
        ),
    )
    with pytest.raises(RateLimitedError):
        await generate_video(sora_first())
    assert (sora.submissions, vertex.submissions) == (0, 0)


@pytest.fixture
async def routed(
    vertex: VertexEmulator, monkeypatch: pytest.MonkeyPatch, use_runtime: Any
) -> AsyncIterator[AsyncTestClient[Any]]:
    monkeypatch.setenv(
        "REELGATE_ROUTES",
        json.dumps({"fast-video": ["kling-v2-6", "veo-3.1-fast"], "house-video": ["veo-3.1-fast"]}),
    )
    use_runtime()  # kling is installed but not configured here
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as client:
        yield client


async def test_a_route_alias_passes_over_an_unconfigured_provider(
    routed: AsyncTestClient[Any], vertex: VertexEmulator
) -> None:
    body = request_body("a fox", customer_id="fallbacks", model="fast-video", duration_seconds=8)
    estimate = await routed.post("/video/estimate", json=body)
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["data"]["model"] == "veo-3.1-fast"
    answer = await routed.post("/video/generate", json=body)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["model"] == "veo-3.1-fast"
    assert [(t["model"], t["reason"]) for t in data["fallback"]["tried"]] == [
        ("kling-v2-6", "provider_not_configured")
    ]
    metrics = (await routed.get("/metrics")).text
    assert (
        'reelgate_fallbacks_total{from_model="kling-v2-6",to_model="veo-3.1-fast"} 1.0' in metrics
    )
    unknown = await routed.post(
        "/video/generate", json={**body, "settings": {"video": {"model": "slow-video"}}}
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["type"] == "unknown_model"


async def test_a_route_of_one_model_is_that_model(
    routed: AsyncTestClient[Any], vertex: VertexEmulator
) -> None:
    body = request_body("a heron", customer_id="fallbacks", model="house-video", duration_seconds=8)
    answer = await routed.post("/video/generate", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["model"] == "veo-3.1-fast"
    assert vertex.submissions == 1
