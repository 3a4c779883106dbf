"""Calls to Runway's API and the one place where its answers become core errors.

Every request carries ``X-Runway-Version``. A create is sent once (httpx, no SDK: the
``runwayml`` SDK resends a POST twice by default). What its answer proves:

- 429, 400, 401 and the other 4xx: a refusal, nothing was made;
- 503: load shedding, which Runway documents as safe to send again
  (:class:`~reelgate.errors.SubmissionNotAcceptedError`);
- a connection never made: nothing was sent;
- anything else (a timeout, a reset, a 500/502/504, an answer with no task id): Runway may
  have made, and will bill, the task. It has no idempotency key and no task list, so the
  create is never sent again (``reelgate.sent_once``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from reelgate import ProviderContext
from reelgate.errors import (
    ProviderError,
    ProviderNotConfiguredError,
    ReelgateError,
    SubmissionNotAcceptedError,
    ValidationError,
)
from reelgate.http_calls import client_of, json_call, signed_stream
from reelgate.http_errors import http_boundary, status_error

PROVIDER = "runway"
API_VERSION = "2024-11-06"


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    return str(error if error else body)[:300]


def error_for(response: httpx.Response) -> ReelgateError:
    """The core error of an error answer to any request but a create (see
    :func:`create_error_for`)."""
    status = response.status_code
    message = _message(response)
    details: dict[str, Any] = {"provider": PROVIDER, "provider_code": str(status)}
    if status in (401, 403):
        return ProviderNotConfiguredError(
            f"Runway refused the key ({status}); check RUNWAYML_API_SECRET", **details
        )
    if status == 400:
        return ValidationError(f"Runway refused the request: {message}", **details)
    generic = status_error(response, provider=PROVIDER, message=message)
    return generic or ProviderError(f"Runway answered {status}: {message}", **details)


def create_error_for(response: httpx.Response) -> ReelgateError:
    """As :func:`error_for`, but a 503 to a create is load shedding: nothing was made."""
    if response.status_code == 503:
        return SubmissionNotAcceptedError(
            f"Runway is shedding load (503): nothing was made ({_message(response)})",
            provider=PROVIDER,
            provider_code="503",
        )
    return error_for(response)


def _timeout(ctx: ProviderContext) -> float:
    return float(ctx.setting("timeout_seconds") or 60)


def headers(ctx: ProviderContext) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {ctx.require('api_secret')}",
        "X-Runway-Version": API_VERSION,
    }


async def send(
    ctx: ProviderContext,
    method: str,
    path: str,
    during: str,
    *,
    json: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One request to the API; its JSON answer, or the core error."""
    return await json_call(
        ctx,
        method,
        f"{ctx.require('base_url').rstrip('/')}{path}",
        provider=PROVIDER,
        during=during,
        error_for=create_error_for if during == "create" else error_for,
        headers=headers(ctx),
        timeout_seconds=_timeout(ctx),
        json=json,
    )


async def delete(ctx: ProviderContext, path: str) -> None:
    """A DELETE (cancel): answered 204 with no body; a task already gone is no error."""
    async with client_of(ctx, _timeout(ctx)) as client:
        with http_boundary(PROVIDER, "cancel"):
            response = await client.delete(
                f"{ctx.require('base_url').rstrip('/')}{path}", headers=headers(ctx)
            )
    if response.status_code >= 400 and response.status_code != 404:
        raise error_for(response)


def stream(ctx: ProviderContext, url: str) -> AsyncIterator[bytes]:
    """The bytes at an output URL (see ``reelgate.http_calls.signed_stream``)."""
    return signed_stream(
        ctx, url, provider=PROVIDER, error_for=error_for, timeout_seconds=_timeout(ctx)
    )
