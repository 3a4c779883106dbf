"""Veo end to end: the generate flow and the CLI through google-genai against the Vertex AI
emulator, counting paid operations at the emulator."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from vertex_emulator import VertexEmulator

from reelgate.errors import ContentRejectedError
from reelgate.testing import make_request
from reelgate.testing.emulator import Fault
from reelgate_flows.flows import generate_video
from tests.support import probe_mp4

request = functools.partial(
    make_request, customer_id="veo-user", duration_seconds=8, aspect_ratio="16:9"
)


async def test_the_default_model_generates_through_the_flow(vertex: VertexEmulator) -> None:
    envelope = await generate_video(request(number_of_videos=2))
    data = envelope["data"]
    assert (data["provider"], data["model"], data["duration"]) == ("gemini", "veo-3.1-fast", 8.0)
    assert len(data["videos"]) == 2 and vertex.submissions == 1
    for item in data["videos"]:
        assert probe_mp4(Path(item["video_url"].removeprefix("file://")))["frames"] == 8 * 12


async def test_transient_poll_failures_are_retried_and_paid_once(vertex: VertexEmulator) -> None:
    vertex.faults.add(
        "fetch",
        Fault(
            "status",
            503,
            {"error": {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}},
        ),
        Fault("reset"),
    )
    envelope = await generate_video(request())
    assert envelope["success"] and vertex.submissions == 1


async def test_a_safety_filtered_result_is_a_400(vertex: VertexEmulator) -> None:
    with pytest.raises(ContentRejectedError) as caught:
        await generate_video(request("a [risky] scene"))
    assert caught.value.status == 400 and vertex.submissions == 1
