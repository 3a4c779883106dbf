"""Input images are checked at admission, through a real server, on every face: a bad one is a
400 before any job exists (never a 202 that fails later), and an image whose header claims
more than ``image_max_pixels`` is refused without decoding a pixel."""

from __future__ import annotations

import base64
import struct
import time
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelgate.testing import request_body
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says ``width`` x ``height`` (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.fixture
def api(fake: Any) -> Iterator[httpx.Client]:
    app = create_app(ApiSettings(allow_private_urls=False, image_max_pixels=40_000_000))
    with (
        BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client


BAD_IMAGES = {
    "bomb": data_uri(png_claiming(16000, 16000)),
    "large": data_uri(png_claiming(8000, 6000)),
    "file": "file:///etc/passwd",
    "ftp": "ftp://example.com/a.png",
    "unknown upload": "reelgate-upload:" + "0" * 64 + ".png",
    "undecodable": data_uri(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20),
    "not an image": data_uri(b"hello world"),
    "private address": "http://127.0.0.1:9/cat.png",
}


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_a_bad_input_image_is_refused_before_any_job(api: httpx.Client, case: str) -> None:
    customer = f"admitted-{uuid.uuid4().hex[:8]}"  # a customer of this test's own: no jobs yet
    body = request_body("animate this", customer_id=customer, model="fake", duration_seconds=1)
    body["input_image_url"] = BAD_IMAGES[case]
    began = time.monotonic()
    for path in ("/video/jobs", "/video/generate"):
        answer = api.post(path, json=body)
        assert answer.status_code == 400, (case, path, answer.text)
        error = answer.json()["error"]
        assert error["type"] == "validation_error" and error["field"] == "input_image_url"
    if case == "large":
        assert "8000x6000 pixels; at most 40,000,000" in error["message"]
    if case == "bomb":
        assert "256000000 pixels" in error["message"]
        assert time.monotonic() - began < 5, "refused from its header, without decoding"
    assert api.get("/v1/videos", headers={"X-Reelgate-Customer": customer}).json()["data"] == []


def test_the_openai_dialect_refuses_a_bomb_upload(api: httpx.Client) -> None:
    files = {"input_reference": ("bomb.png", png_claiming(16000, 16000), "image/png")}
    fields = {"prompt": "animate this", "model": "fake", "seconds": "1"}
    answer = api.post("/v1/videos", data=fields, files=files)
    assert answer.status_code == 400, answer.text
    assert "256000000 pixels" in answer.json()["error"]["message"]
