"""The OpenAI moderator through the core's runtime and the real openai SDK, against the
moderation endpoint's emulator: what it sends, a flagged prompt or image refused, and both
failure modes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from moderation_emulator import ModerationEmulator

from reelgate.errors import ContentRejectedError, ProviderUnavailableError
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing.emulator import Fault
from reelgate.testing.media import make_png


@pytest.fixture
def runtime(moderation: ModerationEmulator) -> Runtime:
    runtime = build_runtime(plugins="openai")
    assert [p.name for p in runtime.loaded.plugins] == ["openai"], runtime.loaded.failures
    return runtime


def request(prompt: str, image: str | None = None) -> GenerateRequest:
    body: dict[str, Any] = {"prompt": prompt, "customer_id": "acme"}
    if image is not None:
        body["input_image_url"] = image
    return GenerateRequest.model_validate(body)


def test_a_clean_prompt_and_image_pass_in_one_multimodal_request(
    runtime: Runtime, moderation: ModerationEmulator
) -> None:
    image = "https://images.example/cat.png"
    assert asyncio.run(runtime.moderate(request("a cat on a sofa", image))) == ["openai"]
    (body,) = moderation.bodies
    assert body["model"] == "omni-moderation-latest"
    assert body["input"] == [
        {"type": "text", "text": "a cat on a sofa"},
        {"type": "image_url", "image_url": {"url": image}},
    ]


def test_a_flagged_prompt_is_refused_naming_it(runtime: Runtime) -> None:
    with pytest.raises(ContentRejectedError) as refused:
        asyncio.run(runtime.moderate(request("a massacre at dawn")))
    details = refused.value.details
    assert (details["input"], details["stage"], details["moderator"]) == (
        "prompt",
        "before_submit",
        "openai",
    )
    assert details["categories"] == ["violence"]


def test_a_flagged_image_is_refused_naming_the_image(runtime: Runtime) -> None:
    with pytest.raises(ContentRejectedError) as refused:
        asyncio.run(runtime.moderate(request("a portrait", "https://images.example/flagged.png")))
    assert refused.value.details["input"] == "image"


def test_a_data_uri_image_is_sent_and_a_local_path_is_not(
    runtime: Runtime, moderation: ModerationEmulator
) -> None:
    import base64

    uri = "data:image/png;base64," + base64.b64encode(make_png(8, 8)).decode()
    asyncio.run(runtime.moderate(request("a calm sea", uri)))
    asyncio.run(runtime.moderate(request("a calm sea", "/home/me/photo.png")))
    assert [len(body["input"]) for body in moderation.bodies] == [2, 1]


def test_an_unavailable_endpoint_fails_closed_by_default(
    runtime: Runtime, moderation: ModerationEmulator
) -> None:
    moderation.faults.add("moderate", Fault("status", 500), Fault("status", 500))
    with pytest.raises(ProviderUnavailableError) as unavailable:
        asyncio.run(runtime.moderate(request("a calm sea")))
    assert "nothing was submitted or paid" in unavailable.value.message


def test_failing_open_lets_the_request_through(
    runtime: Runtime, moderation: ModerationEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELGATE_MODERATION_OPENAI_FAILURE", "open")
    moderation.faults.add("moderate", Fault("status", 503), Fault("status", 503))
    assert asyncio.run(runtime.moderate(request("a calm sea"))) == ["openai"]


def test_without_its_key_it_judges_nothing(
    runtime: Runtime, moderation: ModerationEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REELGATE_MODERATION_OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", moderation.api_key)  # the Sora plugin's: not taken
    assert asyncio.run(runtime.moderate(request("a massacre at dawn"))) == ["openai"]
    assert moderation.bodies == []
