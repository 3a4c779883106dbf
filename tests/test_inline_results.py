"""Jobs stay small: a video answered inline (save_to_db false) is kept once in the storage and
the persisted result references it (every reader gets the data URI back); an image sent inline
is kept once and the job's parameters reference it, readable only under its customer."""

from __future__ import annotations

import base64
import os
import re
import uuid
from pathlib import Path

import boto3
import pytest
from prefect.client.orchestration import get_client
from prefect.serializers import PickleSerializer

from reelgate.errors import ValidationError
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.testing import FakeProvider, make_request
from reelgate.testing.media import make_png
from reelgate_api.jobs.views import read_view
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.inline_videos import INLINE_SCHEME
from reelgate_flows.settings import Settings
from reelgate_flows.uploads import UPLOAD_SCHEME, with_kept_upload
from tests.support import probe_mp4

INLINE_KEY = re.compile(r"^media/customers/acme-1/inline/\d{14}_[0-9a-f-]{36}\.mp4$")


def _persisted_bytes(storage_key: str) -> int:
    """The size of a persisted Prefect result (local result storage)."""
    path = Path(storage_key)
    if not path.is_absolute():
        path = Path(os.environ["PREFECT_LOCAL_STORAGE_PATH"]) / storage_key
    return path.stat().st_size


async def test_an_inline_video_is_kept_once_and_its_result_holds_a_reference(
    s3_env: str, tmp_path: Path
) -> None:
    body = make_request(
        customer_id="acme-1", model="local", duration_seconds=2, resolution="360p"
    ).model_dump()
    body["save_to_db"] = False
    answer = await generate_video(GenerateRequest.model_validate(body))
    data = answer["data"]
    uri = data["video_url"]
    assert uri.startswith("data:video/mp4;base64,")
    video = base64.b64decode(uri.partition(",")[2])
    assert INLINE_KEY.match(data["storage_key"]), data["storage_key"]
    kept = boto3.client("s3").get_object(Bucket=s3_env, Key=data["storage_key"])["Body"].read()
    assert kept == video, "the bytes are kept as they were answered"

    async with get_client() as client:
        run = await client.read_flow_run(uuid.UUID(data["job_id"]))
        assert run.state is not None
        record_size = _persisted_bytes(run.state.data.storage_key)  # type: ignore[union-attr]
        persisted = await run.state.aresult()
        view = await read_view(client, data["job_id"])
    whole = len(PickleSerializer().dumps(dict(answer)))
    print(f"video {len(video)} B, URI {len(uri)} B, persisted {record_size} B (whole: {whole} B)")
    assert record_size < 4096 < len(video), "the persisted result holds no video bytes"
    assert persisted["data"]["video_url"] == INLINE_SCHEME + data["storage_key"]
    assert view is not None and view.result is not None
    assert view.result["data"]["video_url"] == uri, "a reader gets the data URI back"
    for kind in ("poster", "thumbnail", "spritesheet"):
        image = data[f"{kind}_url"]
        assert image.startswith("data:image/jpeg;base64,"), "previews follow the video's rule"
        assert base64.b64decode(image.partition(",")[2])[:3] == b"\xff\xd8\xff"
        assert persisted["data"][f"{kind}_url"].startswith(INLINE_SCHEME), "kept, referenced"
        assert view.result["data"][f"{kind}_url"] == image, "and read back as they were"

    extend = ExtendRequest.model_validate(
        {
            "prompt": "the lantern rises",
            "customer_id": "acme-1",
            "video_id": data["job_id"],
            "settings": {"video": {"duration_seconds": 1}},
            "save_to_db": False,
        }
    )
    extended = (await extend_video(extend))["data"]
    path = tmp_path / "extended.mp4"
    path.write_bytes(base64.b64decode(extended["video_url"].partition(",")[2]))
    assert probe_mp4(path)["frames"] == 48 + 24, "the extension continued the kept video"


async def test_without_a_storage_the_result_keeps_the_uri(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REELGATE_STORAGE_URL", "data:")
    body = make_request(customer_id="acme-1", model="local", duration_seconds=1).model_dump()
    body["save_to_db"] = False
    answer = await generate_video(GenerateRequest.model_validate(body))
    data = answer["data"]
    assert data["storage_key"] is None
    async with get_client() as client:
        view = await read_view(client, data["job_id"])
    assert view is not None and view.result is not None
    assert view.result["data"]["video_url"] == data["video_url"]


async def test_an_inline_image_is_kept_once_and_read_only_under_its_customer(
    fake: FakeProvider,
) -> None:
    png = make_png(64, 36)
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    settings = Settings.current()
    body = make_request(customer_id="acme-1", model="fake", duration_seconds=1)
    kept = await with_kept_upload(body.model_copy(update={"input_image_url": uri}), settings)
    again = await with_kept_upload(body.model_copy(update={"input_image_url": uri}), settings)
    reference = kept.input_image_url or ""
    assert reference == again.input_image_url, "the same image is the same reference"
    assert reference.startswith(UPLOAD_SCHEME) and len(reference) < 100

    other = kept.model_copy(update={"customer_id": "globex"})
    for refused in (other, kept.model_copy(update={"input_image_url": "reelgate-upload:../x"})):
        with pytest.raises(ValidationError) as caught:
            await generate_video(refused)
        assert caught.value.details.get("field") == "input_image_url", caught.value.message
    assert fake.submissions == 0, "another customer's upload is never sent"

    await generate_video(kept)
    assert fake.images == [png], "the provider got the kept image"


async def test_an_inline_image_that_is_no_image_is_refused_before_any_job() -> None:
    body = make_request(customer_id="acme-1", model="fake", duration_seconds=1)
    text = "data:image/png;base64," + base64.b64encode(b"not an image").decode()
    with pytest.raises(ValidationError, match="not a PNG"):
        await with_kept_upload(
            body.model_copy(update={"input_image_url": text}), Settings.current()
        )
