"""``/mcp``: the MCP endpoint (streamable HTTP) of ``reelgate serve``, checked like every other
request; its tools act for the calling key's customers and answer signed URLs of this
server."""

from __future__ import annotations

from typing import Any, cast

from litestar import Request, asgi
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler
from litestar.types import HTTPScope, Receive, ReceiveMessage, Scope, Send
from starlette.requests import Request as StarletteRequest

from reelgate.errors import ValidationError
from reelgate_api.http.auth import ANY_CUSTOMER
from reelgate_api.http.context import STATE_KEY, HttpContext
from reelgate_api.http.errors import handle_exception
from reelgate_api.http.mcp import McpHttpEndpoint
from reelgate_api.http.presentation import present
from reelgate_api.http.request_bodies import json_value
from reelgate_api.service.in_process import InProcessBackend
from reelgate_api.service.service import VideoGenerationService
from reelgate_api.service.tools import VideoTools

MCP_PATH = "/mcp"


def _context_of(request: Request[Any, Any, Any]) -> HttpContext:
    return cast(HttpContext, request.app.state[STATE_KEY])


def mcp_tools(request: StarletteRequest | None) -> VideoTools:
    """The tools of one MCP request: acting for its key's customers, answering signed URLs of
    this server."""
    assert request is not None, "the HTTP endpoint always has a request"
    http_request: Request[Any, Any, Any] = Request(cast(HTTPScope, request.scope))
    context = _context_of(http_request)
    caller, base_url = context.caller(http_request), context.base_url(http_request)
    only = next(iter(caller.customers)) if len(caller.customers) == 1 else None
    bound = None if only == ANY_CUSTOMER else only
    backend = InProcessBackend(
        admission=context.admission,
        present=lambda envelope: present(envelope, base_url, context.signer),
        acting=caller,
    )
    return VideoTools(
        VideoGenerationService(backend),
        customer_id=bound,
        may_act_for=None if bound else caller.may_act_for,
    )


async def _checked_body(scope: Scope, receive: Receive, max_bytes: int) -> Receive | None:
    """A POST's body read whole, at most ``max_bytes`` (413) and JSON as
    :func:`~reelgate_api.http.request_bodies.json_value` allows (400), then replayed to the MCP
    endpoint; None for other methods (their stream is the endpoint's)."""
    if scope.get("method") != "POST":
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ValidationError("the client went away while sending its request")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise HTTPException(
                status_code=413, detail=f"the request body is over {max_bytes} bytes"
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    if body.strip():
        json_value(body)
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def mcp_mount(endpoint: McpHttpEndpoint) -> ASGIRouteHandler:
    """The mount of ``endpoint`` at ``/mcp``."""

    @asgi(MCP_PATH, is_mount=True, copy_scope=True)
    async def mcp(scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        try:
            context = _context_of(request)
            await context.guard.before_request(request)
            context.caller(request)
            replay = await _checked_body(scope, receive, context.settings.max_body_bytes)
        except Exception as exc:
            refusal = handle_exception(request, exc)
            await refusal.to_asgi_response(app=None, request=request)(scope, receive, send)
            return
        await endpoint(scope, replay or receive, send)

    return mcp
