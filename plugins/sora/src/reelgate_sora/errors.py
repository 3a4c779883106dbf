"""The one boundary where openai SDK exceptions become core errors (WIRE.md §2.5)."""

from __future__ import annotations

from typing import Any

import openai

from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
    ValidationError,
)
from reelgate_sora.spec import RETIRED_ON

PROVIDER = "openai"
CONTENT_CODES = ("moderation_blocked", "content_policy_violation", "safety")


def is_content_code(code: str | None, message: str = "") -> bool:
    text = f"{code or ''} {message}".lower()
    return any(word in text for word in (*CONTENT_CODES, "moderation"))


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        if "retry-after" in headers:
            return float(headers["retry-after"])
    except ValueError:
        return None
    return None


def translate(exc: Exception, during: str) -> ReelgateError:
    """The core error for an openai SDK exception raised ``during`` an operation."""
    if isinstance(exc, openai.APIConnectionError):
        message = f"the Sora endpoint could not be reached during {during}"
        if during != "submit":
            return ProviderUnavailableError(message, provider=PROVIDER)
        if type(exc.__cause__).__name__ == "ConnectError":
            return SubmissionNotAcceptedError(message, provider=PROVIDER)
        return ProviderUnavailableError(
            f"{message}; the job may have been accepted (the Videos API has no idempotency "
            "key, so it is not submitted again)",
            provider=PROVIDER,
        )
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        return ProviderUnavailableError(
            f"the Sora endpoint answered something that is not a Videos API response "
            f"during {during}",
            provider=PROVIDER,
        )
    if not isinstance(exc, openai.APIStatusError):
        return ProviderError(
            f"the Sora call failed during {during}: {type(exc).__name__}", provider=PROVIDER
        )
    body: Any = exc.body if isinstance(exc.body, dict) else {}
    code = body.get("code") if isinstance(body.get("code"), str) else None
    message = str(body.get("message") or exc.message)
    details: dict[str, Any] = {
        "provider": PROVIDER,
        "provider_code": code or str(exc.status_code),
        "request_id": exc.request_id,
    }
    status = exc.status_code
    if status in (401, 403):
        return ProviderNotConfiguredError(
            f"the Sora endpoint refused the credentials ({status}): check OPENAI_API_KEY", **details
        )
    if status == 429:
        return RateLimitedError(
            f"Sora rate limit: {message}", retry_after=_retry_after(exc), **details
        )
    if status in (400, 422):
        if is_content_code(code, message):
            return ContentRejectedError(f"Sora refused the content: {message}", **details)
        return ValidationError(f"Sora refused the request: {message}", **details)
    if status == 404 and "model" in message.lower():
        return ProviderError(
            f"Sora answered 404 ({message}). OpenAI retired its Videos API on {RETIRED_ON}; "
            "point OPENAI_BASE_URL at an endpoint that still serves it",
            **details,
        )
    if status >= 500:
        return ProviderUnavailableError(f"Sora answered {status}: {message}", **details)
    return ProviderError(f"Sora answered {status}: {message}", **details)
