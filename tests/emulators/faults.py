"""Scripted faults: each is consumed by the next request to the operation it names."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

FaultKind = Literal["status", "reset", "reset_after", "slow", "malformed"]


class ConnectionReset(Exception):
    """Raised after the response has started, so the client sees the connection break."""


@dataclass(frozen=True)
class Fault:
    """``status``: answer ``status_code`` with ``body``/``headers``; ``reset``: break the
    connection before handling; ``reset_after``: handle the request, then break the
    connection; ``slow``: wait ``delay`` seconds, then handle; ``malformed``: 200 with a body
    that is not JSON."""

    kind: FaultKind
    status_code: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FaultQueue:
    def __init__(self) -> None:
        self._queues: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()

    def add(self, operation: str, *faults: Fault) -> None:
        with self._lock:
            self._queues.setdefault(operation, []).extend(faults)

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            queue = self._queues.get(operation)
            return queue.pop(0) if queue else None

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()


async def before(fault: Fault | None) -> Response | None:
    """The response a fault gives instead of the real one (None: handle the request)."""
    if fault is None or fault.kind == "reset_after":
        return None
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.kind == "malformed":
        return Response(
            b"<html>502 bad gateway</html>", status_code=200, media_type="application/json"
        )
    if fault.kind == "reset":
        return BrokenResponse()
    return JSONResponse(fault.body, status_code=fault.status_code, headers=fault.headers)


def after(fault: Fault | None, response: Response) -> Response:
    """The response sent once the request was handled."""
    return BrokenResponse() if fault is not None and fault.kind == "reset_after" else response


class BrokenResponse(Response):
    """Starts a chunked response and dies: the client sees a reset mid-answer."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"code": 0, ', "more_body": True})
        raise ConnectionReset("emulated connection reset")


Handler = Callable[[Any, Request], Awaitable[Response]]


def faulty(operation: str) -> Callable[[Handler], Handler]:
    """Decorates an emulator endpoint (a method of an object with ``faults`` and a
    ``record(operation, request)`` method): the request is recorded, then the next fault
    queued for ``operation`` applies to it."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(self: Any, request: Request) -> Response:
            self.record(operation, request)
            fault = self.faults.take(operation)
            early = await before(fault)
            if early is not None:
                return early
            return after(fault, await handler(self, request))

        return endpoint

    return decorate
