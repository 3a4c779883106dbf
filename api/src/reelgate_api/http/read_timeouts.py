"""Read timeouts: a client may not hold a connection open by sending slowly.

- Headers: :func:`header_deadline_protocol` is uvicorn's h11 protocol with a deadline from the
  connection's first byte (or the end of its previous answer) to the end of its request's
  headers; past it the connection is closed.
- Body: :func:`body_deadline` is ASGI middleware that gives a request ``seconds`` to send its
  whole body; past it the request answers 408.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol


class BodyTooSlow(HTTPException):
    status_code = 408


def body_deadline(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware (for Litestar's ``middleware=``) bounding how long a request's body takes
    to arrive: a 408 once ``seconds`` passed since the request began."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            body_done = False

            async def timed_receive() -> ReceiveMessage:
                nonlocal body_done
                if body_done:  # the body is in: waiting for a disconnect has no deadline
                    return await receive()
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise BodyTooSlow(
                        detail=f"the request body did not arrive within {seconds:g} s"
                    ) from None
                if message["type"] != "http.request" or not message.get("more_body"):
                    body_done = True
                return message

            await app(scope, timed_receive, send)

        return guarded

    return middleware


def header_deadline_protocol(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol closing a connection whose request headers take longer than
    ``seconds`` (a connection that sends nothing, or drips its headers)."""

    class HeaderDeadlineProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and self._between_requests():
                self._arm()
            super().data_received(data)
            if not self._between_requests():
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self._between_requests() and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadlineProtocol
