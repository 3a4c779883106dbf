"""The one place where errors become HTTP answers: the seed's error envelope
``{"success": false, "code": N, "error": {"type", "message", ...}}``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from reelgate.envelope import ErrorEnvelope

logger = logging.getLogger("reelgate.api")

_HTTP_TYPES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
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
    return Response(envelope.model_dump(mode="json"), status_code=envelope.code)


def http_error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    envelope = ErrorEnvelope(
        code=status, error={"type": _HTTP_TYPES.get(status, "error"), "message": message}
    )
    return Response(envelope.model_dump(mode="json"), status_code=status, headers=headers)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Litestar's exception handler for every exception."""
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        return http_error_response(exc.status_code, detail, dict(exc.headers or {}))
    return error_response(exc)
