"""The one boundary where google-genai's exceptions become core errors (WIRE.md §1.8)."""

from __future__ import annotations

from typing import Any

from google.genai import errors as genai_errors

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

PROVIDER = "gemini"
_CONTENT_WORDS = ("responsible ai", "safety", "prohibited", "sensitive", "rai")


def is_content_message(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _CONTENT_WORDS)


def translate(exc: Exception, during: str) -> ReelgateError:
    """The core error for an exception the SDK raised ``during`` an operation."""
    if isinstance(exc, genai_errors.APIError):
        return _from_api_error(exc, during)
    name = type(exc).__name__
    if name == "ConnectError" and during == "submit":
        return SubmissionNotAcceptedError(
            f"Vertex AI could not be reached during {during}", provider=PROVIDER
        )
    if name.endswith(("Error", "Timeout", "Exception")) and _is_transport(exc):
        suffix = "; the job may have been accepted" if during == "submit" else ""
        return ProviderUnavailableError(
            f"Vertex AI failed during {during}: {name}{suffix}", provider=PROVIDER
        )
    if isinstance(exc, ValueError):
        return ProviderUnavailableError(
            f"Vertex AI answered something google-genai could not read during {during}",
            provider=PROVIDER,
        )
    return ProviderError(f"Veo call failed during {during}: {name}", provider=PROVIDER)


def _is_transport(exc: Exception) -> bool:
    module = type(exc).__module__
    return module.startswith(("httpx", "httpcore", "aiohttp", "google.auth"))


def _is_key_refusal(exc: genai_errors.APIError, message: str) -> bool:
    """Google answers a wrong API key with 400 INVALID_ARGUMENT, reason ``API_KEY_INVALID``."""
    return "API_KEY_INVALID" in str(exc.details) or "api key not valid" in message.lower()


def _from_api_error(exc: genai_errors.APIError, during: str) -> ReelgateError:
    code = int(exc.code or 0)
    message = str(exc.message or exc.status or "")
    details: dict[str, Any] = {"provider": PROVIDER, "provider_code": str(exc.status or code)}
    if code in (401, 403) or (code == 400 and _is_key_refusal(exc, message)):
        return ProviderNotConfiguredError(
            f"Vertex AI refused the credentials ({code} {exc.status}): check GOOGLE_API_KEY, "
            "or GOOGLE_CLOUD_PROJECT/GOOGLE_CLOUD_LOCATION and the credentials",
            **details,
        )
    if code == 429:
        return RateLimitedError(f"Vertex AI quota: {message}", **details)
    if 400 <= code < 500 and is_content_message(message):
        return ContentRejectedError(f"Veo refused the content: {message}", **details)
    if code == 400:
        return ValidationError(f"Veo refused the request: {message}", **details)
    if code == 404:
        return ProviderError(f"Vertex AI answered 404: {message}", **details)
    if code == 503:
        # Google documents UNAVAILABLE as "the service is unable to handle the request" and
        # retryable: a refused submission, safe to send again after a back-off.
        error_class = SubmissionNotAcceptedError if during == "submit" else ProviderUnavailableError
        return error_class(f"Vertex AI answered 503: {message}", **details)
    if code >= 500:
        suffix = "; the job may have been accepted" if during == "submit" else ""
        return ProviderUnavailableError(f"Vertex AI answered {code}: {message}{suffix}", **details)
    return ProviderError(f"Vertex AI answered {code}: {message}", **details)
