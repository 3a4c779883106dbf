"""The ASGI app of the embedded Prefect API that reelgate starts (``embedded_api``): Prefect's
own app behind :class:`RetryLockedWrites`.

On SQLite, a write that meets another writer's newer snapshot fails at once with "database is
locked" (SQLite's busy timeout does not apply to it); Prefect answers 503 and its client waits
2, 4, 8… seconds before trying again. Under a burst that was most of the time a job took. The
request failed as a whole and was rolled back, so trying it again at once is what the client
would do anyway, minus the wait: the middleware does that, a few times with short jittered
pauses, before the 503 reaches the client.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from reelgate_flows.heap import FreezeHeapAfterStartup

Message = dict[str, Any]

ATTEMPTS = 8
FIRST_PAUSE_SECONDS = 0.02
LONGEST_PAUSE_SECONDS = 0.5


class RetryLockedWrites:
    """Runs a write request again while the app answers 503 (a retryable database error)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        pristine = dict(scope)  # routing rewrites the scope it is given
        pause = FIRST_PAUSE_SECONDS
        for attempt in range(ATTEMPTS):
            answer: list[Message] = []
            try:
                await self.app(dict(pristine), _replay(body), _collect(answer))
            except Exception:
                # Starlette's error middleware sends the handler's answer (Prefect's 503 for
                # a retryable database error), then raises the error again for the server
                # to log: the answer collected is what counts.
                if _status(answer) is None:
                    raise
            if _status(answer) != 503 or attempt == ATTEMPTS - 1:
                break
            await asyncio.sleep(random.uniform(pause, 2 * pause))
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
        for message in answer:
            await send(message)


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # a client that never disconnects
        return {"type": "http.disconnect"}

    return receive


def _collect(answer: list[Message]) -> Any:
    async def send(message: Message) -> None:
        answer.append(message)

    return send


def _status(answer: list[Message]) -> int | None:
    for message in answer:
        if message["type"] == "http.response.start":
            return int(message["status"])
    return None


class NoBrowsers:
    """Refuses every request a browser sends on a page's behalf (it carries ``Origin``) and
    drops CORS headers from every answer: no web page may read or write this API."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if any(name == b"origin" for name, _ in scope.get("headers", [])):
            body = b'{"detail":"browsers may not call this API"}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def without_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if not name.lower().startswith(b"access-control-")
                    ],
                }
            await send(message)

        await self.app(scope, receive, without_cors)


def create_app() -> Any:
    """Prefect's API app (configured from the environment, as ``prefect server start`` does:
    its auth string too) behind :class:`RetryLockedWrites` and :class:`NoBrowsers`, its
    start-up heap frozen once it started (:mod:`reelgate_flows.heap`)."""
    from prefect.server.api.server import create_app as create_prefect_app

    return FreezeHeapAfterStartup(NoBrowsers(RetryLockedWrites(create_prefect_app())))
