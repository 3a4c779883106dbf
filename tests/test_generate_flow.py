"""The generate-video and extend-video flows end to end: real Prefect engine (embedded API),
the local provider (PyAV) or the scripted fake provider, file / S3 (moto server) / data URI
storage."""

from __future__ import annotations

import base64
import functools
import re
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from reelgate.errors import StorageError, TooLargeError
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.testing import FakeProvider, make_png, make_request
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.settings import Settings
from tests.support import probe_mp4

KEY = re.compile(r"^customers/acme-1/assets/video/\d{14}_[0-9a-f-]{36}\.mp4$")
ENVELOPE_DATA_KEYS = {
    "video_url",
    "provider",
    "model",
    "duration",
    "settings",
    "job_id",
    "provider_video_id",
}


request = functools.partial(make_request, customer_id="acme-1", model="local", duration_seconds=2)


def local_path(url: str) -> Path:
    assert url.startswith("file://")
    return Path(unquote(urlsplit(url).path))


async def test_text_to_video_is_stored_in_the_folder_with_the_seed_envelope() -> None:
    envelope = await generate_video(
        request(aspect_ratio="16:9", resolution="480p", generate_audio=True)
    )
    assert envelope["success"] is True and envelope["code"] == 200
    data = envelope["data"]
    assert set(data) >= ENVELOPE_DATA_KEYS
    assert (data["provider"], data["model"]) == ("local", "local")
    assert data["settings"]["aspect_ratio"] == "16:9" and data["duration"] == 2.0
    assert KEY.match(data["storage_key"]), data["storage_key"]
    path = local_path(data["video_url"])
    assert str(path).endswith(data["storage_key"])
    info = probe_mp4(path)
    assert (info["width"], info["height"], info["frames"], info["audio"]) == (854, 480, 48, 1)


async def test_image_to_video_from_a_local_file(tmp_path: Path) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(make_png(200, 200, (20, 40, 220)))
    body = request(aspect_ratio="1:1", resolution="360p").model_dump()
    body["input_image_url"] = str(image)
    envelope = await generate_video(GenerateRequest.model_validate(body), allow_local_inputs=True)
    info = probe_mp4(local_path(envelope["data"]["video_url"]))
    assert (info["width"], info["height"]) == (360, 360)


async def test_local_image_paths_are_refused_unless_allowed(tmp_path: Path) -> None:
    from reelgate.errors import ValidationError

    image = tmp_path / "first.png"
    image.write_bytes(make_png())
    body = request().model_dump()
    body["input_image_url"] = str(image)
    with pytest.raises(ValidationError, match="http"):
        await generate_video(GenerateRequest.model_validate(body))


async def test_extend_a_job_by_its_id_uses_its_model_and_video() -> None:
    first = await generate_video(request(aspect_ratio="16:9", resolution="360p"))
    extend = ExtendRequest.model_validate(
        {
            "prompt": "the lantern rises",
            "customer_id": "acme-1",
            "video_id": first["data"]["job_id"],
            "settings": {"video": {"duration_seconds": 1}},
        }
    )
    envelope = await extend_video(extend)
    data = envelope["data"]
    assert data["model"] == "local" and data["settings"]["extended_video_id"] == extend.video_id
    info = probe_mp4(local_path(data["video_url"]))
    assert info["frames"] == 48 + 24 and (info["width"], info["height"]) == (640, 360)


async def test_save_to_db_false_answers_a_playable_data_uri(tmp_path: Path) -> None:
    body = request(resolution="360p").model_dump()
    body["save_to_db"] = False
    envelope = await generate_video(GenerateRequest.model_validate(body))
    url = envelope["data"]["video_url"]
    assert url.startswith("data:video/mp4;base64,") and envelope["data"]["storage_key"]
    path = tmp_path / "inline.mp4"
    path.write_bytes(base64.b64decode(url.split(",", 1)[1]))
    assert probe_mp4(path)["frames"] == 48


async def test_inline_results_over_the_cap_are_a_clear_400_and_the_video_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REELGATE_DATA_URI_MAX_BYTES", "1000")
    body = request(resolution="360p").model_dump()
    body["save_to_db"] = False
    body["customer_id"] = customer = f"capped-{uuid.uuid4().hex[:8]}"
    with pytest.raises(TooLargeError) as caught:
        await generate_video(GenerateRequest.model_validate(body))
    assert caught.value.status == 400 and "save_to_db" in caught.value.message
    assert Path(caught.value.details["spool_path"]).is_file()
    stored = Path(Settings.current().storage_url.removeprefix("file://")) / "customers" / customer
    assert not list(stored.glob("inline/*.jpg")), "no previews stored for a video that was not"


async def test_s3_storage_through_the_moto_server(s3_env: str) -> None:
    import boto3

    envelope = await generate_video(request(resolution="360p"))
    data = envelope["data"]
    assert data["storage_key"].startswith("media/customers/acme-1/assets/video/")
    assert KEY.match(data["storage_key"].removeprefix("media/"))
    head = boto3.client("s3").head_object(Bucket=s3_env, Key=data["storage_key"])
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] > 1000
    assert data["video_url"].endswith(f"/{s3_env}/{data['storage_key']}")


async def test_s3_multipart_upload_and_presigned_url(
    s3_env: str, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    import httpx

    from reelgate.testing.media import padded_mp4

    monkeypatch.setenv("REELGATE_S3_PRESIGN", "true")
    fake.video_bytes = padded_mp4(12 * 1024 * 1024)
    envelope = await generate_video(request(model="fake", duration_seconds=1))
    data = envelope["data"]
    head = boto3.client("s3").head_object(Bucket=s3_env, Key=data["storage_key"])
    assert head["ETag"].strip('"').endswith("-2"), "uploaded in two 8 MiB parts"
    assert "X-Amz-Signature" in data["video_url"]
    fetched = httpx.get(data["video_url"])
    assert fetched.status_code == 200 and fetched.content == fake.video_bytes


async def test_s3_down_fails_with_502_and_keeps_the_video(
    s3_env: str, moto_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    with pytest.raises(StorageError) as caught:
        await generate_video(request(resolution="360p"))
    error = caught.value
    assert error.status == 502
    spooled = Path(error.details["spool_path"])
    assert spooled.is_file() and str(spooled) in error.message
    assert probe_mp4(spooled)["frames"] == 48
    meta = spooled.with_suffix(".json").read_text()
    assert '"customer_id": "acme-1"' in meta


async def test_number_of_videos_returns_every_video() -> None:
    envelope = await generate_video(request(resolution="360p", number_of_videos=2))
    data = envelope["data"]
    assert len(data["videos"]) == 2
    assert data["videos"][0]["video_url"] == data["video_url"]
    assert data["videos"][0]["video_url"] != data["videos"][1]["video_url"]
    for item in data["videos"]:
        assert probe_mp4(local_path(item["video_url"]))["frames"] == 48
