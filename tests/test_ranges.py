"""``/files`` answers ``Range`` requests as players need to seek (iOS Safari plays nothing
otherwise): 206 with the bytes asked, 416 past the end, and a real filename."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient

from reelgate_api.http.app import create_app
from reelgate_api.http.ranges import byte_range
from reelgate_api.settings import ApiSettings


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-50", (950, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-9, 20-29", (0, 9)),
        ("bytes=1000-", (1000, 1000)),
        ("bytes=5-2", (1000, 1000)),
        ("items=0-9", None),
        ("bytes=-", None),
    ],
)
def test_byte_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 1000) == expected


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    async with AsyncTestClient(app=app, timeout=120) as test_client:
        yield test_client


async def test_a_stored_video_is_served_by_ranges(client: AsyncTestClient[Any]) -> None:
    video = {"model": "local", "duration_seconds": 1, "resolution": "360p"}
    made = await client.post(
        "/video/generate", json={"prompt": "seek", "customer_id": "r", "settings": {"video": video}}
    )
    assert made.status_code == 200, made.text
    url = urlsplit(made.json()["data"]["video_url"])
    path = f"{url.path}?{url.query}"

    whole = await client.get(path)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    name = url.path.rsplit("/", 1)[1]
    assert whole.headers["content-disposition"] == f'inline; filename="{name}"'
    body, size = whole.content, len(whole.content)

    head = await client.get(path, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == body[:100]
    assert head.headers["content-range"] == f"bytes 0-99/{size}"
    assert head.headers["content-length"] == "100"
    assert head.headers["content-disposition"] == f'inline; filename="{name}"'
    tail = await client.get(path, headers={"Range": "bytes=-64"})
    assert tail.status_code == 206 and tail.content == body[-64:]
    rest = await client.get(path, headers={"Range": f"bytes={size - 300}-"})
    assert rest.content == body[size - 300 :]
    past = await client.get(path, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
