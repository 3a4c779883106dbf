"""Veo end to end: the generate flow and the CLI through google-genai against the Vertex AI
emulator, counting paid operations at the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelgate.errors import ContentRejectedError
from reelgate.requests import GenerateRequest
from reelgate_flows.flows import generate_video
from tests.emulators.faults import Fault
from tests.emulators.server import BackgroundServer
from tests.emulators.vertex import VertexEmulator
from tests.support import probe_mp4


@pytest.fixture(scope="module")
def vertex_server() -> Iterator[tuple[VertexEmulator, str]]:
    emulator = VertexEmulator()
    with BackgroundServer(emulator.app()) as server:
        yield emulator, server.url


@pytest.fixture
def vertex(
    vertex_server: tuple[VertexEmulator, str], use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> VertexEmulator:
    emulator, url = vertex_server
    emulator.reset()
    monkeypatch.setenv("GOOGLE_API_KEY", emulator.api_key)
    monkeypatch.setenv("REELGATE_VEO_BASE_URL", url)
    use_runtime()  # type: ignore[operator]
    return emulator


def request(prompt: str = "a cat surfing", **video: object) -> GenerateRequest:
    return GenerateRequest.model_validate(
        {
            "prompt": prompt,
            "customer_id": "veo-user",
            "settings": {"video": {"duration_seconds": 8, "aspect_ratio": "16:9", **video}},
        }
    )


async def test_the_default_model_generates_through_the_flow(vertex: VertexEmulator) -> None:
    envelope = await generate_video(request(number_of_videos=2))
    data = envelope["data"]
    assert (data["provider"], data["model"]) == ("gemini", "veo-3.1-fast")
    assert len(data["videos"]) == 2 and vertex.submissions == 1
    for item in data["videos"]:
        assert probe_mp4(Path(item["video_url"].removeprefix("file://")))["frames"] == 24


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


def test_the_cli_generates_with_veo_and_refuses_without_configuration(
    vertex_server: tuple[VertexEmulator, str], tmp_path: Path
) -> None:
    emulator, url = vertex_server
    emulator.reset()
    command = [
        sys.executable,
        "-m",
        "reelgate_api.cli",
        "generate",
        "waves at dusk",
        "--model",
        "veo-3.1-fast",
        "--duration",
        "8",
        "--aspect-ratio",
        "9:16",
        "--quiet",
    ]
    env = {**os.environ, "GOOGLE_API_KEY": emulator.api_key, "REELGATE_VEO_BASE_URL": url}
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"]["provider"] == "gemini" and emulator.submissions == 1
    env.pop("GOOGLE_API_KEY")
    refused = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    error = json.loads(refused.stdout)
    assert refused.returncode == 1 and error["code"] == 400
    assert "GOOGLE_API_KEY" in error["error"]["message"] and emulator.submissions == 1
