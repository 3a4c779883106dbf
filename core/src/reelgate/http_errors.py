"""The error boundary of an httpx-based plugin: httpx failures and HTTP answers become core
errors, with what each proves about a submission (install ``reelgate-core[http]``).

- A connection that could not be made (``httpx.ConnectError``, ``httpx.ConnectTimeout``)
  proves nothing was sent: :class:`~reelgate.errors.SubmissionNotAcceptedError`, safe to submit
  again.
- Any other transport failure (read/write timeout, reset, protocol error) leaves it unclear
  whether the provider acted: :class:`~reelgate.errors.ProviderUnavailableError`, retried for
  polls and downloads, never blindly for a submission.
- 429 is a refusal: :class:`~reelgate.errors.RateLimitedError` with ``retry_after`` seconds
  from ``Retry-After`` (seconds or an HTTP date).
- 5xx is :class:`~reelgate.errors.ProviderUnavailableError` (unclear, as above).

Other statuses mean what the provider says they mean: the plugin maps them itself.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from reelgate.errors import (
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (from a number or an HTTP date); None when absent or bad."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def transport_error(exc: httpx.HTTPError, *, provider: str, during: str) -> ReelgateError:
    """The core error for an httpx failure that produced no answer."""
    message = f"{provider} could not be reached during {during}: {type(exc).__name__}"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return SubmissionNotAcceptedError(f"{message}; nothing was sent", provider=provider)
    return ProviderUnavailableError(
        f"{message}; the provider may still have acted on it",
        provider=provider,
        timed_out=isinstance(exc, httpx.TimeoutException) or None,
    )


def status_error(
    response: httpx.Response, *, provider: str, message: str, **details: Any
) -> ReelgateError | None:
    """The core error a 429 or 5xx answer stands for; None for any other status."""
    status = response.status_code
    text = f"{provider} answered {status}: {message}"
    details = {"provider": provider, "provider_code": str(status), **details}
    if status == 429:
        return RateLimitedError(text, retry_after=retry_after_seconds(response.headers), **details)
    if status >= 500:
        return ProviderUnavailableError(text, **details)
    return None


@contextmanager
def http_boundary(provider: str, during: str) -> Iterator[None]:
    """Turn an httpx failure inside the block into :func:`transport_error`'s core error."""
    try:
        yield
    except httpx.HTTPError as exc:
        raise transport_error(exc, provider=provider, during=during) from exc
