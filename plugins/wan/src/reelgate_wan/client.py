"""Calls to DashScope and the one place where its answers become core errors. Creates are sent
once by this client (the dashscope SDK resends after a connection error, which pays twice:
WIRE-NEXT.md, Appendix D), with ``X-DashScope-Async: enable``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from reelgate import ProviderContext
from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderNotConfiguredError,
    RateLimitedError,
    ReelgateError,
    ValidationError,
)
from reelgate.http_calls import json_call, signed_stream
from reelgate.http_errors import retry_after_seconds, status_error

PROVIDER = "wan"
MODERATION_CODES = ("DataInspectionFailed", "DataInspection")


def error_of(status: int, code: str | None, message: str) -> ReelgateError | None:
    """The core error of a DashScope error code (None: decided by the HTTP status)."""
    text = f"Wan: {message or code or 'error'}"
    details = {"provider": PROVIDER, "provider_code": code}
    if code and code.startswith(MODERATION_CODES):
        return ContentRejectedError(f"Wan refused the content: {message}", **details)
    if code and code.startswith("Throttling"):
        return RateLimitedError(f"Wan is throttling requests: {message}", **details)
    if code in ("InvalidApiKey", "Arrearage") or status in (401, 403):
        return ProviderNotConfiguredError(f"{text} (check DASHSCOPE_API_KEY)", **details)
    if status == 400 or (code or "").startswith(("InvalidParameter", "BadRequest", "InvalidURL")):
        return ValidationError(f"Wan refused the request: {message or code}", **details)
    return None


def _error_for(response: httpx.Response) -> ReelgateError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = body.get("code") if isinstance(body, dict) else None
    message = str(body.get("message") if isinstance(body, dict) else "") or response.text[:200]
    mapped = error_of(response.status_code, code, message)
    if mapped is not None:
        if isinstance(mapped, RateLimitedError):
            mapped.details["retry_after"] = retry_after_seconds(response.headers)
        return mapped
    generic = status_error(response, provider=PROVIDER, message=message)
    return generic or ProviderError(
        f"Wan answered {response.status_code}: {message}", provider=PROVIDER, provider_code=code
    )


def _timeout(ctx: ProviderContext) -> float:
    return float(ctx.setting("timeout_seconds") or 60)


async def send(
    ctx: ProviderContext,
    method: str,
    path: str,
    during: str,
    *,
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    asynchronous: bool = False,
) -> dict[str, Any]:
    """One request to the API; its JSON answer, or the core error of any failure."""
    headers = {"Authorization": f"Bearer {ctx.require('api_key')}"}
    if asynchronous:
        headers["X-DashScope-Async"] = "enable"
    return await json_call(
        ctx,
        method,
        f"{ctx.require('base_url').rstrip('/')}{path}",
        provider=PROVIDER,
        during=during,
        error_for=_error_for,
        headers=headers,
        timeout_seconds=_timeout(ctx),
        json=json,
        params=params,
    )


def stream(ctx: ProviderContext, url: str) -> AsyncIterator[bytes]:
    """The bytes at a task's video URL (see ``reelgate.http_calls.signed_stream``)."""
    return signed_stream(
        ctx, url, provider=PROVIDER, error_for=_error_for, timeout_seconds=_timeout(ctx)
    )
