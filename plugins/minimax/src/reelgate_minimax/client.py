"""Calls to MiniMax's API and the one place where its answers become core errors.

MiniMax often answers an error with HTTP 200 and a non-zero ``base_resp.status_code``, so every
answer's ``base_resp`` is read. A create answered with a refusal code (1002 rate limit, 1004
auth, 1008 balance, 2013 parameters, 1026/1027/1039 sensitive content, 1028/1030 quota) was not
accepted. Any other failure of a create leaves it unclear whether a paid task was made: MiniMax
has no idempotency key and no task list to look in, so such a create is never sent again
(``reelgate.sent_once``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from reelgate import ProviderContext
from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    ValidationError,
)
from reelgate.http_calls import json_call, signed_stream
from reelgate.http_errors import retry_after_seconds, status_error

PROVIDER = "minimax"
SENSITIVE = (1026, 1027, 1039)
RATE_LIMITED = (1002, 1028, 1030)


def error_of(code: int, message: str) -> ReelgateError:
    """The core error of a non-zero ``base_resp.status_code``."""
    text = f"MiniMax: {message or 'error'} ({code})"
    details: dict[str, Any] = {"provider": PROVIDER, "provider_code": str(code)}
    if code in SENSITIVE:
        return ContentRejectedError(f"MiniMax refused the content: {message}", **details)
    if code in RATE_LIMITED:
        return RateLimitedError(f"MiniMax is limiting requests: {message}", **details)
    if code in (1004, 2049):
        return ProviderNotConfiguredError(f"{text}; check MINIMAX_API_KEY", **details)
    if code in (1008, 2061):
        return ProviderNotConfiguredError(f"{text}; the account cannot pay for it", **details)
    if code == 2013:
        return ValidationError(f"MiniMax refused the request: {message}", **details)
    if code in (1000, 1001, 1024):
        return ProviderUnavailableError(text, **details)
    return ProviderError(text, **details)


def checked_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer``, or the core error of its non-zero ``base_resp.status_code``."""
    base = answer.get("base_resp") or {}
    code = base.get("status_code", 0) if isinstance(base, dict) else 0
    if isinstance(code, int) and code != 0:
        raise error_of(code, str(base.get("status_msg") or ""))
    return answer


def _error_for(response: httpx.Response) -> ReelgateError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    base = body.get("base_resp") if isinstance(body, dict) else None
    if isinstance(base, dict) and isinstance(base.get("status_code"), int) and base["status_code"]:
        mapped = error_of(base["status_code"], str(base.get("status_msg") or ""))
        if isinstance(mapped, RateLimitedError):
            mapped.details["retry_after"] = retry_after_seconds(response.headers)
        return mapped
    if response.status_code in (401, 403):
        return ProviderNotConfiguredError(
            f"MiniMax refused the key ({response.status_code}); check MINIMAX_API_KEY",
            provider=PROVIDER,
            provider_code=str(response.status_code),
        )
    generic = status_error(response, provider=PROVIDER, message=response.text[:200])
    return generic or ProviderError(
        f"MiniMax answered {response.status_code}: {response.text[:200]}",
        provider=PROVIDER,
        provider_code=str(response.status_code),
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
    checked: bool = True,
) -> dict[str, Any]:
    """One request to the API; its JSON answer, or the core error. ``checked``: a non-zero
    ``base_resp`` is an error too (``checked=False`` leaves it to the caller: a failed task's
    query carries its reason there)."""
    answer = await json_call(
        ctx,
        method,
        f"{ctx.require('base_url').rstrip('/')}{path}",
        provider=PROVIDER,
        during=during,
        error_for=_error_for,
        headers={"Authorization": f"Bearer {ctx.require('api_key')}"},
        timeout_seconds=_timeout(ctx),
        json=json,
        params=params,
    )
    return checked_answer(answer) if checked else answer


def stream(ctx: ProviderContext, url: str) -> AsyncIterator[bytes]:
    """The bytes at a file's download URL (see ``reelgate.http_calls.signed_stream``)."""
    return signed_stream(
        ctx, url, provider=PROVIDER, error_for=_error_for, timeout_seconds=_timeout(ctx)
    )
