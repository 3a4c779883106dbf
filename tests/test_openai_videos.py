"""The OpenAI Videos API served by reelgate, with the ``openai`` SDK as the client, unchanged
but for its base URL and key: create and poll, download a video that decodes, list pages,
remix, delete, and errors raised as the SDK's own exception classes."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from prefect.client.orchestration import get_client

from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate.testing.emulator import BackgroundServer
from reelgate.testing.media import make_png
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.job_ids import find_job_run
from tests.support import probe_mp4

KEYS = {
    "key-acme": ["acme"],
    "key-other": ["other"],
    "key-two": ["acme", "globex"],
    "key-lister": ["lister"],
}


@pytest.fixture(autouse=True)
def _no_sunset_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The Sora API is scheduled")
        yield


@pytest.fixture
def server(fake: FakeProvider) -> Iterator[Any]:
    app = create_app(ApiSettings(api_keys=json.dumps(KEYS)))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as running:
        yield running


def client_for(server: Any, key: str = "key-acme", **options: Any) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=f"{server.url}/v1", max_retries=0, **options)


def test_create_and_poll_then_download_a_video_that_decodes(server: Any, tmp_path: Path) -> None:
    client = client_for(server)
    video = client.videos.create_and_poll(
        model="local", prompt="a calico cat", seconds="2", size="1280x720", poll_interval_ms=100
    )
    assert video.status == "completed" and video.progress == 100, video
    assert video.object == "video" and video.model == "local"
    assert (video.seconds, video.size, video.prompt) == ("2", "1280x720", "a calico cat")
    target = tmp_path / "cat.mp4"
    client.videos.download_content(video.id).write_to_file(target)
    probe = probe_mp4(target)
    assert probe["duration"] == pytest.approx(2.0, abs=0.1)
    assert (probe["width"], probe["height"]) == (1280, 720)
    assert client.videos.retrieve(video.id).status == "completed"


async def _image_parameter(job_id: str) -> str:
    """The input_image_url the job's run was created with."""
    async with get_client() as prefect:
        run = await find_job_run(prefect, job_id, None)
    assert run is not None
    return str(run.parameters["request"]["input_image_url"])


def test_an_uploaded_first_frame_and_the_idempotency_key(server: Any, fake: FakeProvider) -> None:
    client = client_for(server)
    image = ("first.png", make_png(64, 36), "image/png")
    once = {"extra_headers": {"Idempotency-Key": "frame-1"}}
    first = client.videos.create(
        model="fake", prompt="go", size="1280x720", input_reference=image, **once
    )
    again = client.videos.create(
        model="fake", prompt="go", size="1280x720", input_reference=image, **once
    )
    assert again.id == first.id
    assert client.videos.poll(first.id, poll_interval_ms=100).status == "completed"
    assert fake.submissions == 1
    assert fake.images == [image[1]], "the provider got the uploaded frame"
    reference = asyncio.run(_image_parameter(first.id))
    assert reference.startswith("reelgate-upload:") and len(reference) < 100, reference


@pytest.mark.parametrize(
    ("options", "param", "code"),
    [
        ({"seconds": "two"}, "seconds", "validation_error"),
        ({"seconds": "45"}, "seconds", "validation_error"),
        ({"size": "4:3"}, "size", "validation_error"),
        ({"size": "1024x768"}, "size", "validation_error"),
        ({"model": "lokal"}, "model", "unknown_model"),
        ({"model": "kling-v2-6"}, "model", "provider_not_configured"),
    ],
)
def test_a_request_a_model_cannot_do_is_a_400_naming_the_parameter(
    server: Any, options: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client_for(server).videos.create(prompt="x", **{"model": "local", **options})
    assert refused.value.status_code == 400
    assert (refused.value.param, refused.value.code) == (param, code), refused.value.body
    assert refused.value.type == "invalid_request_error"


def test_errors_are_the_sdks_own_exceptions(server: Any, fake: FakeProvider) -> None:
    with pytest.raises(openai.AuthenticationError) as unauthorized:
        client_for(server, "wrong").videos.list()
    assert unauthorized.value.code == "invalid_api_key"
    client = client_for(server)
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("00000000-0000-0000-0000-000000000000")
    fake.poll_script = [Running(progress=0.3, poll_after_seconds=0.1)] * 10_000
    slow = client.videos.create(model="fake", prompt="slow")
    with pytest.raises(openai.NotFoundError) as not_ready:
        client.videos.download_content(slow.id)
    assert not_ready.value.code == "video_not_ready"
    with pytest.raises(openai.BadRequestError) as variant:
        client.videos.download_content(slow.id, variant="poster")  # type: ignore[arg-type]
    assert variant.value.param == "variant"
    with pytest.raises(openai.NotFoundError) as thumbnail_not_ready:
        client.videos.download_content(slow.id, variant="thumbnail")
    assert thumbnail_not_ready.value.code == "video_not_ready"
    with pytest.raises(openai.NotFoundError):
        client_for(server, "key-other").videos.retrieve(slow.id)  # another customer's
    client.videos.delete(slow.id)


def test_list_pages_through_the_customers_videos_newest_first(
    server: Any, fake: FakeProvider
) -> None:
    client = client_for(server, "key-lister")  # a customer with these videos only
    made = [client.videos.create(model="fake", prompt=f"clip {i}").id for i in range(5)]
    client_for(server, "key-other").videos.create(model="fake", prompt="not acme's")
    first = client.videos.list(limit=2)
    assert [v.id for v in first.data] == made[::-1][:2] and first.has_more
    assert [v.id for v in client.videos.list(limit=2)] == made[::-1]  # auto-paging
    oldest = client.videos.list(limit=3, order="asc")
    assert [v.id for v in oldest.data] == made[:3]
    with pytest.raises(openai.BadRequestError):
        client.videos.list(limit=0)


def test_remix_extends_the_video_with_its_model(server: Any, tmp_path: Path) -> None:
    client = client_for(server)
    source = client.videos.create_and_poll(
        model="local", prompt="a tide", seconds="1", size="640x360", poll_interval_ms=100
    )
    remixed = client.videos.remix(source.id, prompt="the tide goes out")
    assert remixed.remixed_from_video_id == source.id and remixed.id != source.id
    done = client.videos.poll(remixed.id, poll_interval_ms=100)
    assert done.status == "completed" and done.model == "local", done.error
    target = tmp_path / "remix.mp4"
    client.videos.download_content(done.id).write_to_file(target)
    assert probe_mp4(target)["frames"] > 0


def test_delete_hides_the_video(server: Any, fake: FakeProvider) -> None:
    client = client_for(server)
    video = client.videos.create_and_poll(model="fake", prompt="gone", poll_interval_ms=100)
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    assert video.id not in [v.id for v in client.videos.list()]


def test_a_key_with_several_customers_names_one(server: Any, fake: FakeProvider) -> None:
    with pytest.raises(openai.BadRequestError) as unnamed:
        client_for(server, "key-two").videos.create(model="fake", prompt="x")
    assert unnamed.value.param == "X-Reelgate-Customer"
    globex = client_for(server, "key-two", default_headers={"X-Reelgate-Customer": "globex"})
    made = globex.videos.create(model="fake", prompt="for globex")
    with pytest.raises(openai.NotFoundError):
        client_for(server).videos.retrieve(made.id)  # acme's key: not acme's video
    with pytest.raises(openai.PermissionDeniedError):
        client_for(
            server, "key-two", default_headers={"X-Reelgate-Customer": "initech"}
        ).videos.list()
