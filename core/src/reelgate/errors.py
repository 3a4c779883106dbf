"""The one error hierarchy of reelgate.

Every error a provider, the storage or the flow can raise is a :class:`ReelgateError`. Each
class states, as data, the HTTP status it maps to, the ``type`` string shown in the error
envelope, whether it is worth retrying (``retryable``) and whether a *submission* that failed
with it is proven not to have been accepted, so submitting again cannot pay twice
(``safe_to_resubmit``). Plugins translate their SDK/HTTP errors into these classes at one
boundary; the API maps them to HTTP in one place using :meth:`ReelgateError.to_error_body`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class ReelgateError(Exception):
    """Base class. Unknown subclasses and plain exceptions map to 500 ``internal_error``."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False
    safe_to_resubmit: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = {k: v for k, v in details.items() if v is not None}

    def __str__(self) -> str:
        # ``message`` may be extended after the error was raised (what a re-run does).
        return self.message

    def to_error_body(self) -> dict[str, Any]:
        """The ``error`` object of the response envelope: ``type``, ``message`` and details."""
        return {"type": self.type, "message": self.message, **self.details}

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps errors picklable across Prefect's result persistence and process boundaries.
        return (_rebuild_error, (type(self), self.message, self.details))


def _rebuild_error(cls: type[ReelgateError], message: str, details: dict[str, Any]) -> Any:
    return cls(message, **details)


class ValidationError(ReelgateError):
    """The request is malformed: empty prompt, bad customer_id, settings out of range."""

    status = 400
    type = "validation_error"


class UnknownModelError(ValidationError):
    """No installed plugin serves the model name; ``suggestions`` lists close matches."""

    type = "unknown_model"


class ProviderNotConfiguredError(ValidationError):
    """The provider is installed but lacks credentials or settings; ``missing`` names them."""

    type = "provider_not_configured"


class CapabilityNotSupportedError(ReelgateError):
    """The provider does not implement the operation (e.g. extend, image-to-video, cancel)."""

    status = 501
    type = "not_implemented"


class ContentRejectedError(ReelgateError):
    """The provider's safety filter refused the prompt or the output. Never retried."""

    status = 400
    type = "content_rejected"


class TooLargeError(ValidationError):
    """An input or an inline (data URI) output exceeds its configured size cap."""

    type = "too_large"


class ProviderError(ReelgateError):
    """The provider failed the job or answered with an error; carries its code and message."""

    status = 502
    type = "provider_error"


class ProviderUnavailableError(ProviderError):
    """A transient provider failure (5xx, timeout, reset). Retryable; a submission that failed
    with it may still have been accepted, so submissions are not repeated blindly."""

    type = "provider_unavailable"
    retryable = True


class SubmissionNotAcceptedError(ProviderUnavailableError):
    """A transient failure of a submission that is proven not to have reached the provider
    (connection refused, or the provider confirms it has no such job). Safe to resubmit."""

    type = "provider_unavailable"
    safe_to_resubmit = True


class RateLimitedError(ProviderError):
    """The provider refused the request for quota or rate reasons. The refusal proves nothing
    was accepted, so even a submission may be retried (after ``retry_after`` seconds if given)."""

    type = "rate_limited"
    retryable = True
    safe_to_resubmit = True


class DownloadCorruptError(ProviderError):
    """The provider's finished video arrived broken (cut short, not a video, the wrong length).
    Downloads are free and idempotent, so it is retryable: the provider job is kept and a re-run
    downloads again without generating again."""

    type = "download_corrupt"
    retryable = True


class JobTimeoutError(ProviderError):
    """The provider job did not finish before the configured deadline. The job is not lost:
    ``job_id`` and ``provider_job_id`` identify it for a later resume."""

    type = "timeout"


class JobCancelledError(ProviderError):
    """The provider job was cancelled before it produced a video."""

    type = "cancelled"


class StorageError(ReelgateError):
    """Storing the finished video failed. The video is kept in the local spool at
    ``spool_path`` and is never dropped."""

    status = 502
    type = "storage_error"


class UnauthorizedError(ReelgateError):
    """No valid API key was given."""

    status = 401
    type = "unauthorized"


class ForbiddenError(ReelgateError):
    """The API key may not act for this customer or job."""

    status = 403
    type = "forbidden"


class NotFoundError(ReelgateError):
    """No such job (or other resource)."""

    status = 404
    type = "not_found"


class ConflictError(ReelgateError):
    """The request conflicts with an earlier one (e.g. an Idempotency-Key reused with another
    body)."""

    status = 409
    type = "conflict"


class ModelRetiredError(ReelgateError):
    """The model named was retired (``retired_on``); ``successor`` names the model that
    replaces it, when there is one. Nothing was submitted."""

    status = 410
    type = "model_retired"


class TooManyInFlightError(ReelgateError):
    """The customer (or API key) has as many jobs in flight as its fair share allows
    (``limit``) and its share refuses, not queues; ``retry_after`` seconds is a hint. Nothing
    was submitted."""

    status = 429
    type = "too_many_in_flight"
    retryable = True
    safe_to_resubmit = True


class BudgetExceededError(ReelgateError):
    """The request's estimated cost does not fit what is left of a spending limit; details
    name the limit (``limit``, ``limit_usd``), what is left (``remaining_usd``) and the
    estimate (``estimate_usd``). Nothing was submitted."""

    status = 402
    type = "budget_exceeded"


class UnsupportedMediaTypeError(ReelgateError):
    """The request body is not of a type the endpoint reads (JSON endpoints want JSON)."""

    status = 415
    type = "unsupported_media_type"


class PluginError(ReelgateError):
    """A plugin broke the contract at load time (duplicate model ids, a declared capability
    without its hook, a misspelt hook name)."""

    type = "plugin_error"


ERROR_CLASSES: dict[str, type[ReelgateError]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, ReelgateError)
}
"""Every core error class by its class name (how a :class:`~reelgate.jobs.JobError` names it)."""


_CLASS_OF_TYPE: dict[str, type[ReelgateError]] = {}
for _cls in ERROR_CLASSES.values():
    _CLASS_OF_TYPE.setdefault(_cls.type, _cls)  # the first (most general) class of each type
_CLASS_OF_STATUS: dict[int, type[ReelgateError]] = {
    400: ValidationError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: ModelRetiredError,
    413: TooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitedError,
    501: CapabilityNotSupportedError,
    502: ProviderError,
    503: ProviderUnavailableError,
}


def error_from_body(status: int, error: Mapping[str, Any]) -> ReelgateError:
    """The core error an error envelope's ``error`` object describes (the inverse of
    :meth:`ReelgateError.to_error_body`): the class of its ``type``, else of the HTTP
    ``status``; the other fields become its details. How a client of reelgate's HTTP API
    raises what the server raised."""
    kind = str(error.get("type", ""))
    cls = _CLASS_OF_TYPE.get(kind) or _CLASS_OF_STATUS.get(status, ReelgateError)
    details = {key: value for key, value in error.items() if key not in ("type", "message")}
    return cls(str(error.get("message") or f"HTTP {status}"), **details)
