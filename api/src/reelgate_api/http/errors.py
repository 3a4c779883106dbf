"""The one place where errors become HTTP answers: the seed's error envelope
``{"success": false, "code": N, "error": {"type", "message", ...}}``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException
from litestar.exceptions import ValidationException as LitestarValidationException

from reelgate.envelope import ErrorEnvelope
from reelgate.errors import ReelgateError, ValidationError, error_from_body
from reelgate_api.http.openai_shapes import error_body

logger = logging.getLogger("reelgate.api")

_HTTP_TYPES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(exc: BaseException) -> Response[dict[str, Any]]:
    """The envelope and status for any exception; unexpected ones leak nothing."""
    envelope = ErrorEnvelope.from_exception(exc)
    if envelope.code == 500:
        logger.error("unexpected error", exc_info=exc)
    return Response(
        envelope.model_dump(mode="json"), status_code=envelope.code, headers=retry_after(exc)
    )


def retry_after(exc: BaseException) -> dict[str, str] | None:
    """``Retry-After`` for a refusal that says when to come back (a 429 of a full share)."""
    if not isinstance(exc, ReelgateError) or exc.status != 429:
        return None
    seconds = exc.details.get("retry_after")
    return None if seconds is None else {"Retry-After": str(int(seconds))}


def http_error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    envelope = ErrorEnvelope(
        code=status, error={"type": _HTTP_TYPES.get(status, "error"), "message": message}
    )
    return Response(envelope.model_dump(mode="json"), status_code=status, headers=headers)


CLIENT_GONE = "client disconnected prematurely"
"""Litestar's message when the client went away while sending its body."""


def client_went_away(exc: BaseException) -> bool:
    return isinstance(exc, InternalServerException) and exc.detail == CLIENT_GONE


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Litestar's exception handler for every exception. A client that went away mid-body is
    one line at info (nobody reads the answer)."""
    if client_went_away(exc):
        logger.info(
            "%s %s: the client went away while sending its body", request.method, request.url.path
        )
        return http_error_response(400, "the client went away while sending its body")
    if _body_missing(exc):
        return error_response(ValidationError(EMPTY_BODY))
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        return http_error_response(exc.status_code, detail, dict(exc.headers or {}))
    return error_response(exc)


EMPTY_BODY = "the request body is empty: send a JSON object"


def _body_missing(exc: BaseException) -> bool:
    """Litestar's refusal of a handler's ``data`` when the request had no body (its typed
    body is read by reelgate's parser otherwise)."""
    if not isinstance(exc, LitestarValidationException) or not isinstance(exc.extra, list):
        return False
    return any(isinstance(item, dict) and item.get("key") == "data" for item in exc.extra)


def openai_error_response(exc: BaseException) -> Response[dict[str, Any]]:
    """The OpenAI Videos dialect's answer to an exception: ``{"error": {message, type,
    param, code}}`` (``/v1`` routes). A request a model cannot serve is a 400 there (reelgate's
    501 would make the openai SDK retry it)."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        exc = error_from_body(
            exc.status_code, {"type": _HTTP_TYPES.get(exc.status_code, "error"), "message": detail}
        )
    if client_went_away(exc):
        logger.info("the client went away while sending its body")
        exc = ValidationError("the client went away while sending its body")
    if not isinstance(exc, ReelgateError):
        logger.error("unexpected error", exc_info=exc)
        exc = ReelgateError("internal error")
    status = 400 if exc.status == 501 else exc.status
    return Response(error_body(exc, status), status_code=status, headers=retry_after(exc))


def handle_openai_exception(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    """Litestar's exception handler of the ``/v1`` routes."""
    return openai_error_response(exc)
