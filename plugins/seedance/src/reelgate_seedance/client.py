"""Calls to ModelArk and the one place where its answers become core errors. Creates are sent
once by this client (the BytePlus SDK retries twice on connection errors and 5xx, which pays
twice: WIRE-NEXT.md, Appendix D)."""

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

PROVIDER = "seedance"
MODERATION = ("Input", "Output", "SensitiveContentDetected", "ContentRestricted")
"""Codes of a moderation refusal: ``Input*SensitiveContentDetected`` (``.PrivacyInformation``
for a real person in an image), ``Output*Sensitive…``, ``ContentRestricted``."""
RATE_LIMITS = ("RateLimitExceeded", "QuotaExceeded", "ServerOverloaded")


def error_of(status: int, code: str | None, message: str) -> ReelgateError | None:
    """The core error of a ModelArk error code (None: decided by the HTTP status)."""
    details = {"provider": PROVIDER, "provider_code": code}
    moderated = code is not None and code.startswith(MODERATION) and "Sensitive" in code
    if moderated or code == "ContentRestricted":
        return ContentRejectedError(f"Seedance refused the content: {message}", **details)
    if (code and code.startswith(RATE_LIMITS)) or status == 429:
        return RateLimitedError(f"Seedance is limiting requests: {message}", **details)
    if code in ("AuthenticationError", "AccountOverdueError", "AccessDenied") or status in (
        401,
        403,
    ):
        return ProviderNotConfiguredError(
            f"Seedance refused the key: {message or code} (check ARK_API_KEY)", **details
        )
    if code in ("InvalidEndpointOrModel.NotFound", "ModelNotOpen"):
        return ValidationError(f"Seedance: the model is not open to this key: {message}", **details)
    if status == 400 or (code or "").startswith(("InvalidParameter", "MissingParameter")):
        return ValidationError(f"Seedance refused the request: {message or code}", **details)
    return None


def _error_for(response: httpx.Response) -> ReelgateError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    message = str(error.get("message") or "") or response.text[:200]
    mapped = error_of(response.status_code, code, message)
    if mapped is not None:
        if isinstance(mapped, RateLimitedError):
            mapped.details["retry_after"] = retry_after_seconds(response.headers)
        return mapped
    generic = status_error(response, provider=PROVIDER, message=message)
    return generic or ProviderError(
        f"Seedance answered {response.status_code}: {message}",
        provider=PROVIDER,
        provider_code=code,
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
) -> dict[str, Any]:
    """One request to the API; its JSON answer, or the core error of any failure."""
    headers = {"Authorization": f"Bearer {ctx.require('api_key')}"}
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
