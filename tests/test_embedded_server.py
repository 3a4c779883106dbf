"""The embedded Prefect API's retry of writes SQLite refused ("database is locked" → 503)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from reelgate_flows import embedded_server
from reelgate_flows.embedded_server import RetryLockedWrites


class LockedThenFine:
    """Answers 503 (and raises afterwards, as Starlette's error middleware does) ``locked``
    times, then 200 echoing the body; rewrites the scope it is given, as routing does."""

    def __init__(self, locked: int) -> None:
        self.locked = locked
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["path"] == "/api/flow_runs/", "each attempt sees the original scope"
        scope["path"] = "/flow_runs/"
        self.calls += 1
        body = (await receive())["body"]
        status = 503 if self.calls <= self.locked else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body if status == 200 else b"busy"})
        if status == 503:
            raise RuntimeError("database is locked")


def post(app: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.post("/api/flow_runs/", content=b'{"flow_id": 1}')

    return asyncio.run(go())


def test_a_locked_write_is_tried_again_with_its_body() -> None:
    inner = LockedThenFine(locked=3)
    answer = post(RetryLockedWrites(inner))
    assert (answer.status_code, answer.content, inner.calls) == (200, b'{"flow_id": 1}', 4)


def test_a_write_locked_every_time_gets_the_503_after_the_last_attempt() -> None:
    inner = LockedThenFine(locked=100)
    answer = post(RetryLockedWrites(inner))
    assert answer.status_code == 503 and inner.calls == embedded_server.ATTEMPTS
