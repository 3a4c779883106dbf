"""Sora end to end: the generate and extend flows and the CLI against the Videos API emulator,
counting paid videos at the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelgate.errors import ProviderUnavailableError
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate_flows.flows import extend_video, generate_video
from tests.emulators.faults import Fault
from tests.emulators.server import BackgroundServer
from tests.emulators.sora import SoraEmulator
from tests.support import probe_mp4

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning:openai.*")


@pytest.fixture(scope="module")
def sora_server() -> Iterator[tuple[SoraEmulator, str]]:
    emulator = SoraEmulator()
    with BackgroundServer(emulator.app()) as server:
        yield emulator, f"{server.url}/v1"


@pytest.fixture
def sora(
    sora_server: tuple[SoraEmulator, str], use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> SoraEmulator:
    emulator, base_url = sora_server
    emulator.reset()
    monkeypatch.setenv("OPENAI_API_KEY", emulator.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("REELGATE_SORA_POLL_INTERVAL_SECONDS", "0.1")
    use_runtime()  # type: ignore[operator]
    return emulator


def request(prompt: str = "a calico cat") -> GenerateRequest:
    return GenerateRequest.model_validate(
        {
            "prompt": prompt,
            "customer_id": "sora-user",
            "settings": {
                "video": {"model": "sora-2", "duration_seconds": 4, "aspect_ratio": "16:9"}
            },
        }
    )


async def test_generate_then_extend_through_the_flows(sora: SoraEmulator) -> None:
    first = await generate_video(request())
    data = first["data"]
    assert (data["provider"], data["model"], data["duration"]) == ("openai", "sora-2", 4.0)
    assert probe_mp4(Path(data["video_url"].removeprefix("file://")))["frames"] == 24
    extended = await extend_video(
        ExtendRequest.model_validate(
            {
                "prompt": "at night",
                "customer_id": "sora-user",
                "video_id": data["job_id"],
                "settings": {"video": {"duration_seconds": 4, "aspect_ratio": "16:9"}},
            }
        )
    )
    remixed = sora.videos[extended["data"]["provider_video_id"]]
    assert remixed.remixed_from == data["provider_video_id"] and sora.submissions == 2


async def test_a_lost_create_answer_is_adopted_and_paid_once(sora: SoraEmulator) -> None:
    sora.faults.add("create", Fault("reset_after"))
    envelope = await generate_video(request())
    assert envelope["success"] and sora.submissions == 1


async def test_an_unclear_failure_is_not_resubmitted(sora: SoraEmulator) -> None:
    sora.faults.add("create", Fault("reset"))
    with pytest.raises(ProviderUnavailableError):
        await generate_video(request())
    assert sora.requests.count(("create", "")) == 1 and sora.submissions == 0


def test_the_cli_generates_with_sora_and_refuses_without_a_key(
    sora_server: tuple[SoraEmulator, str], tmp_path: Path
) -> None:
    emulator, base_url = sora_server
    emulator.reset()
    command = [
        sys.executable,
        "-m",
        "reelgate_api.cli",
        "generate",
        "a paper crane",
        "--model",
        "sora",
        "--duration",
        "4",
        "--aspect-ratio",
        "9:16",
        "--quiet",
    ]
    env = {
        **os.environ,
        "OPENAI_API_KEY": emulator.api_key,
        "OPENAI_BASE_URL": base_url,
        "PYTHONWARNINGS": "error::DeprecationWarning:openai",
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["data"]
    assert data["provider"] == "openai" and emulator.submissions == 1
    env.pop("OPENAI_API_KEY")
    refused = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    error = json.loads(refused.stdout)
    assert refused.returncode == 1 and error["code"] == 400
    assert "OPENAI_API_KEY" in error["error"]["message"] and emulator.submissions == 1
