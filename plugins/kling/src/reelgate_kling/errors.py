"""The one boundary where Kling's answers become core errors (WIRE.md §3.6)."""

from __future__ import annotations

from typing import Any

from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    ValidationError,
)

PROVIDER = "klingai"
_AUTH = {1000, 1001, 1002, 1003, 1004}
_RATE = {1302, 1303}
_CONTENT = {1300, 1301}
_INVALID = {1200, 1201}
_TRANSIENT = {5000, 5001, 5002}
_ACCOUNT = {1100, 1101, 1102, 1103, 1304}
CONTENT_WORDS = ("risk", "content", "policy", "sensitive", "safety")


def error_for(
    status: int,
    code: int | None,
    message: str,
    request_id: str | None,
    retry_after: float | None = None,
) -> ReelgateError:
    """The core error for a Kling error answer (HTTP status and envelope code)."""
    details: dict[str, Any] = {
        "provider": PROVIDER,
        "provider_code": str(code or status),
        "request_id": request_id,
    }
    text = f"KlingAI answered {status} (code {code}): {message}"
    if code in _AUTH or status == 401:
        return ProviderNotConfiguredError(
            f"KlingAI rejected the credentials (code {code}): check KLING_ACCESS_KEY and "
            "KLING_SECRET_KEY",
            **details,
        )
    if code in _ACCOUNT:
        return ProviderError(
            f"KlingAI refused the account (code {code}): {message}; retrying "
            "will not help until the account is fixed",
            **details,
        )
    if code in _RATE:
        return RateLimitedError(text, retry_after=retry_after, **details)
    if code in _CONTENT:
        return ContentRejectedError(f"KlingAI refused the content: {message}", **details)
    if code in _INVALID:
        return ValidationError(f"KlingAI refused the request: {message}", **details)
    if code in _TRANSIENT or status >= 500:
        return ProviderUnavailableError(text, **details)
    if status == 429:
        return RateLimitedError(text, retry_after=retry_after, **details)
    return ProviderError(text, **details)


def is_content_failure(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in CONTENT_WORDS)
