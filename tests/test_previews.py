"""Posters, thumbnails and sprite sheets (issue 30, part 1): made in the media check's one
decode pass, stored beside the video, answered in the envelope and fetched through the
openai SDK's ``download_content(variant=...)``."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from reelgate.testing import FakeProvider
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.media_check import inspect_video
from reelgate_flows.previews import PreviewMaker, SpriteSpec, decode_through, read_manifest
from reelgate_flows.settings import Settings

KEYS = {"key-acme": ["acme"]}


def _clip_of_times(path: Path, seconds: int, fps: int = 10, gop: int = 25) -> None:
    """A 64x48 clip whose frame at time t is grey level 20 + 20 * t (so a tile's brightness
    says which moment it shows)."""
    import av
    import numpy as np

    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"g": str(gop), "preset": "ultrafast", "qp": "0"}
        for index in range(seconds * fps):
            level = 20 + 20 * index / fps
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), level, np.uint8), "rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _tile_levels(
    sheet: Image.Image, columns: int, width: int, height: int, count: int
) -> list[float]:
    levels = []
    for index in range(count):
        row, column = divmod(index, columns)
        tile = sheet.crop((column * width, row * height, (column + 1) * width, (row + 1) * height))
        levels.append(sum(tile.convert("L").getdata()) / (width * height))
    return levels


def test_each_tile_shows_its_time_and_the_poster_the_middle(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    _clip_of_times(video, seconds=8)
    maker = PreviewMaker(video, SpriteSpec(tiles=8, columns=3, tile_width=32))
    facts = inspect_video(video, "video/mp4", 8, 1.0, None, decode_through(maker))
    assert (facts.width, facts.height) == (64, 48)
    manifest = read_manifest(video)
    assert manifest is not None
    grid = manifest["grid"]
    assert grid == {
        "columns": 3,
        "rows": 3,
        "tile_width": 32,
        "tile_height": 24,
        "count": 8,
        "interval_seconds": 1.0,
    }
    sheet = Image.open(manifest["files"]["spritesheet"])
    assert sheet.size == (3 * 32, 3 * 24) and sheet.format == "JPEG"
    levels = _tile_levels(sheet, 3, 32, 24, 8)
    assert levels == pytest.approx([20 + 20 * second for second in range(8)], abs=4)
    poster = Image.open(manifest["files"]["poster"])
    assert poster.size == (64, 48)
    assert sum(poster.convert("L").getdata()) / (64 * 48) == pytest.approx(20 + 20 * 4, abs=4)
    assert Image.open(manifest["files"]["thumbnail"]).size == (64, 48), "never upscaled"


def test_a_broken_video_leaves_no_previews(tmp_path: Path) -> None:
    from reelgate_flows.media_check import UnplayableVideo

    video = tmp_path / "clip.mp4"
    _clip_of_times(video, seconds=4)
    whole = video.read_bytes()
    video.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnplayableVideo):
        inspect_video(
            video, "video/mp4", 4, 1.0, None, decode_through(PreviewMaker(video, SpriteSpec()))
        )
    assert read_manifest(video) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.fixture
def server(fake: FakeProvider) -> Iterator[Any]:
    app = create_app(ApiSettings(api_keys=json.dumps(KEYS)))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as running:
        yield running


def _jpeg(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    return image


def test_the_openai_sdk_downloads_the_thumbnail_and_the_spritesheet(server: Any) -> None:
    client = openai.OpenAI(api_key="key-acme", base_url=f"{server.url}/v1", max_retries=0)
    video = client.videos.create_and_poll(
        model="local", prompt="a kite", seconds="2", size="1280x720", poll_interval_ms=100
    )
    assert video.status == "completed", video
    assert video.completed_at is not None and video.completed_at >= video.created_at
    thumbnail = _jpeg(client.videos.download_content(video.id, variant="thumbnail").content)
    assert thumbnail.size == (320, 180)
    sheet = _jpeg(client.videos.download_content(video.id, variant="spritesheet").content)
    assert sheet.size == (5 * 160, 2 * 90)
    whole = client.videos.download_content(video.id).content
    assert whole[4:8] == b"ftyp"


def test_the_envelope_names_three_previews_that_fetch_as_images(server: Any) -> None:
    headers = {"Authorization": "Bearer key-acme"}
    body = {
        "prompt": "a lighthouse",
        "customer_id": "acme",
        "settings": {
            "video": {
                "model": "local",
                "duration_seconds": 2,
                "resolution": "720p",
                "aspect_ratio": "16:9",
            }
        },
    }
    with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
        answer = client.post("/video/generate", json=body)
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        sizes = {}
        for kind in ("poster", "thumbnail", "spritesheet"):
            url = data[f"{kind}_url"]
            assert url.startswith(f"{server.url}/files/customers/acme/assets/video/"), url
            fetched = httpx.get(url, timeout=30)  # signed: no key needed
            assert fetched.headers["content-type"] == "image/jpeg"
            sizes[kind] = _jpeg(fetched.content).size
        grid = data["spritesheet"]
        assert sizes == {
            "poster": (1280, 720),
            "thumbnail": (320, 180),
            "spritesheet": (
                grid["columns"] * grid["tile_width"],
                grid["rows"] * grid["tile_height"],
            ),
        }
        assert grid["count"] == 10 and grid["interval_seconds"] == pytest.approx(0.2, abs=0.01)
        status = client.get(f"/video/jobs/{data['job_id']}").json()
        assert status["data"]["thumbnail_url"].startswith(f"{server.url}/files/")
        stored = Path(Settings.current().storage_url.removeprefix("file://"))
        stem = data["storage_key"].removesuffix(".mp4")
        assert all(
            (stored / f"{stem}{suffix}").is_file()
            for suffix in (".poster.jpg", ".thumbnail.jpg", ".sprites.jpg")
        )
        deleted = client.delete(f"/video/jobs/{data['job_id']}", params={"purge": "true"})
        assert deleted.status_code == 200, deleted.text
        assert not list(stored.glob(f"{stem}*")), "a purge removes the previews with the video"


@pytest.fixture
def server_without_previews(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("REELGATE_PREVIEWS", "false")
    app = create_app(ApiSettings(api_keys=json.dumps(KEYS)))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as running:
        yield running


def test_previews_off_store_the_video_alone(server_without_previews: Any) -> None:
    server = server_without_previews
    client = openai.OpenAI(api_key="key-acme", base_url=f"{server.url}/v1", max_retries=0)
    video = client.videos.create_and_poll(
        model="local", prompt="a kite", seconds="1", size="1280x720", poll_interval_ms=100
    )
    assert video.status == "completed", video
    with pytest.raises(openai.NotFoundError) as missing:
        client.videos.download_content(video.id, variant="thumbnail")
    assert missing.value.code == "variant_not_found"
