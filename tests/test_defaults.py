"""What a request that leaves settings unset gets, on every face alike: the default model, or
a 400 naming the models that are ready; a length its model offers; the first frame's aspect
ratio."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from reelgate.requests import GenerateRequest
from reelgate.testing import make_png
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.flows import generate_video
from tests.processes import CLI
from tests.support import probe_mp4


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    async with AsyncTestClient(app=app, timeout=120) as test_client:
        yield test_client


async def test_no_model_named_and_the_default_not_ready_is_a_clear_400(
    client: AsyncTestClient[Any],
) -> None:
    answer = await client.post("/video/generate", json={"prompt": "a cat", "customer_id": "a"})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "provider_not_configured" and "local" in error["ready_models"]
    assert (
        "no model was named and the default model veo-3.1-fast cannot run here"
        in (error["message"])
    )
    assert "--model local" in error["message"] and "GOOGLE_API_KEY" in error["message"]


async def test_the_default_model_setting_serves_requests_that_name_none(
    client: AsyncTestClient[Any], use_runtime: Any
) -> None:
    use_runtime(environ={"REELGATE_DEFAULT_MODEL": "local"})
    body = {"prompt": "a cat", "customer_id": "a", "settings": {"video": {"resolution": "360p"}}}
    answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["model"] == "local" and data["settings"]["duration_seconds"] == 5


def test_an_unset_length_is_one_the_model_offers(tmp_path: Path) -> None:
    """Veo offers 4, 6 and 8 s; the default 5 s became a 400 before."""
    done = subprocess.run(
        [*CLI, "generate", "a cat", "--model", "veo-3.1-fast", "--estimate"],
        env={**os.environ, "PREFECT_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    cost = json.loads(done.stdout)["cost"]
    assert cost["amount"] == 0.4 and cost["basis"].startswith("4 s asked for")


@pytest.mark.parametrize(("width", "height", "aspect"), [(1280, 720, "16:9"), (720, 1280, "9:16")])
async def test_the_video_takes_the_first_frames_aspect_ratio(
    width: int, height: int, aspect: str, tmp_path: Path
) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(make_png(width, height, (20, 40, 220)))
    request = GenerateRequest.model_validate(
        {
            "prompt": "the frame comes alive",
            "customer_id": "acme",
            "input_image_url": str(image),
            "settings": {"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
        }
    )
    envelope = await generate_video(request, allow_local_inputs=True)
    assert envelope["data"]["settings"]["aspect_ratio"] == aspect
    info = probe_mp4(Path(envelope["data"]["video_url"].removeprefix("file://")))
    assert (info["width"] > info["height"]) == (width > height)
