"""A kit for testing a provider plugin through its real client against an emulator of the
provider's HTTP API on loopback (install ``reelgate-core[testing]``).

- :class:`ProviderEmulator`: the base of an emulator — a Starlette app (:meth:`app`), the
  requests it saw, scripted :class:`Fault` s per operation, :meth:`environ` (the settings that
  point the plugin at it) and a count of paid ``submissions``.
- :func:`faulty`: decorates an endpoint so the next fault queued for its operation applies:
  an HTTP status with body and headers (e.g. 429 with ``Retry-After``), a connection reset
  before handling (nothing happened) or after handling (the answer is lost, the job is paid),
  a slow answer, or a malformed one.
- :func:`serve`: runs the emulator under uvicorn on 127.0.0.1 and a free port for a test.

A fault test then reads::

    with serve(AcmeEmulator()) as acme:
        acme.faults.add("create", Fault("reset_after"))
        ...submit through the runtime...
        assert acme.submissions == 1
"""

from __future__ import annotations

import asyncio
import functools
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

FaultKind = Literal[
    "status", "reset", "reset_after", "slow", "slow_after", "malformed", "truncated"
]


class ConnectionReset(Exception):
    """Raised after the response has started, so the client sees the connection break."""


@dataclass(frozen=True)
class Fault:
    """``status``: answer ``status_code`` with ``body``/``headers``; ``reset``: break the
    connection before handling; ``reset_after``: handle the request, then break the
    connection; ``slow``: wait ``delay`` seconds, then handle; ``slow_after``: handle the
    request (a job is accepted), then wait ``delay`` seconds before answering; ``malformed``:
    200 with a body that is not JSON; ``truncated``: handle the request, then send the first
    half of its answer's body as if it were all of it (no length announced, a clean end).
    A 200 with an error body is ``Fault("status", 200, {"error": 1})``."""

    kind: FaultKind
    status_code: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FaultQueue:
    """Faults waiting per operation; each is consumed by the next request to its operation."""

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

    def pending(self, operation: str) -> int:
        """How many faults still wait for ``operation``'s next requests."""
        with self._lock:
            return len(self._queues.get(operation, []))


async def before(fault: Fault | None) -> Response | None:
    """The response a fault gives instead of the real one (None: handle the request)."""
    if fault is None or fault.kind in ("reset_after", "slow_after", "truncated"):
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


async def after(fault: Fault | None, response: Response) -> Response:
    """The response sent once the request was handled."""
    if fault is not None and fault.kind == "slow_after":
        await asyncio.sleep(fault.delay)
    if fault is not None and fault.kind == "truncated":
        return CutShortResponse(response)
    return BrokenResponse() if fault is not None and fault.kind == "reset_after" else response


class CutShortResponse(Response):
    """The first half of another response's body, chunked, ending cleanly: the client cannot
    tell it from a whole answer."""

    def __init__(self, whole: Response) -> None:
        super().__init__(bytes(whole.body)[: len(whole.body) // 2], status_code=whole.status_code)
        self.raw_headers = [
            (name, value) for name, value in whole.raw_headers if name != b"content-length"
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


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
            return await after(fault, await handler(self, request))

        return endpoint

    return decorate


class BackgroundServer:
    """Runs an ASGI app under uvicorn in a background thread on 127.0.0.1 and a free port."""

    def __init__(
        self,
        app: Any,
        lifespan: Literal["auto", "on", "off"] = "off",
        start_timeout_seconds: float = 15.0,
        **uvicorn_options: Any,
    ) -> None:
        """``uvicorn_options`` go to ``uvicorn.Config`` as they are."""
        self.start_timeout_seconds = start_timeout_seconds
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        options = {"log_level": "critical", "lifespan": lifespan, **uvicorn_options}
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, **options)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout_seconds
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not start in {self.start_timeout_seconds:g} s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@dataclass
class ProviderEmulator:
    """Base of a provider emulator: subclass it as a dataclass, build the routes in
    :meth:`app`, decorate endpoints with :func:`faulty`, and count paid jobs in
    :attr:`submissions`. ``requests`` holds ``(operation, subject)`` of every request seen."""

    base_url: str = ""
    faults: FaultQueue = field(default_factory=FaultQueue)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def submissions(self) -> int:
        """Jobs the emulated provider accepted (each one paid)."""
        raise NotImplementedError

    def app(self) -> Starlette:
        raise NotImplementedError

    def environ(self, **overrides: str) -> dict[str, str]:
        """The settings that point the plugin at this emulator, with ``overrides``."""
        raise NotImplementedError

    def subject(self, request: Request) -> str:
        """What ``requests`` records of a request besides its operation (default: its path)."""
        return request.url.path

    def record(self, operation: str, request: Request) -> None:
        self.requests.append((operation, self.subject(request)))

    def reset(self) -> None:
        """Forget every request, job and queued fault (between tests)."""
        self.requests.clear()
        self.faults.clear()


E = TypeVar("E", bound=ProviderEmulator)


@contextmanager
def serve(emulator: E) -> Iterator[E]:
    """Serve ``emulator`` on loopback for the ``with`` block; sets its ``base_url``."""
    with BackgroundServer(emulator.app()) as server:
        emulator.base_url = server.url
        yield emulator
