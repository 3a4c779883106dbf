"""Calls of an httpx plugin (``reelgate-core[http]``): one JSON request to a provider's API,
and the download of a video from a signed URL, each failure made a core error at the boundary
(:mod:`reelgate.http_errors`, plus the plugin's own ``error_for`` of an error answer).

A request is sent once: nothing here retries, so a create is never paid twice by a resend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from reelgate.context import ProviderContext
from reelgate.errors import ProviderError, ProviderUnavailableError, ReelgateError
from reelgate.http_errors import http_boundary

ErrorFor = Callable[[httpx.Response], ReelgateError]
"""The core error of a provider's error answer (status 400 or more)."""


@asynccontextmanager
async def client_of(
    ctx: ProviderContext, timeout_seconds: float
) -> AsyncIterator[httpx.AsyncClient]:
    """The process's shared client when the core gives one, else a client for this call."""
    if ctx.http_client is not None:
        yield ctx.http_client
        return
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds, connect=5.0)) as client:
        yield client


async def json_call(
    ctx: ProviderContext,
    method: str,
    url: str,
    *,
    provider: str,
    during: str,
    error_for: ErrorFor,
    headers: dict[str, str],
    timeout_seconds: float,
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One request; its JSON object, or the core error of any failure. An answer that is no
    JSON object is ``ProviderUnavailableError`` (unclear: a create may have been made)."""
    async with client_of(ctx, timeout_seconds) as client:
        with http_boundary(provider, during):
            response = await client.request(
                method,
                url,
                json=json,
                params=params,
                headers=headers,
                timeout=timeout_seconds,
            )
    if response.status_code >= 400:
        raise error_for(response)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ProviderUnavailableError(
            f"{provider} answered {during} with no JSON object", provider=provider
        )
    return answer


async def signed_stream(
    ctx: ProviderContext, url: str, *, provider: str, error_for: ErrorFor, timeout_seconds: float
) -> AsyncIterator[bytes]:
    """The bytes at a signed video URL (no API key is sent with it). A URL past its life (403
    or 404) is ``ProviderError`` with ``provider_code`` "403"/"404": read the job for a fresh
    one."""
    async with client_of(ctx, timeout_seconds) as client:
        with http_boundary(provider, "download"):
            async with client.stream("GET", url) as response:
                if response.status_code in (403, 404):
                    raise ProviderError(
                        f"{provider}'s video URL answered {response.status_code}",
                        provider=provider,
                        provider_code=str(response.status_code),
                    )
                if response.status_code >= 400:
                    await response.aread()
                    raise error_for(response)
                async for chunk in response.aiter_bytes(1 << 16):
                    yield chunk
