"""The error answers each endpoint documents in the OpenAPI: every one is the error envelope."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from reelgate.envelope import ErrorEnvelope

_ERROR_MEANINGS = {
    400: "invalid request (validation_error, unknown_model, provider_not_configured, ...)",
    401: "no valid API key",
    403: "the key may not act for that customer, or a cross-site request",
    404: "no such job, video or file (or not one of the caller's customers)",
    409: "the Idempotency-Key was used with another body, or the job already ended",
    413: "the body is larger than REELGATE_MAX_BODY_BYTES",
    415: "the body is not application/json",
    500: "an unexpected failure (nothing internal is shown)",
    501: "the model does not offer this operation",
    502: "the provider or the storage failed",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for these error statuses: each answers the error envelope."""
    return {
        code: ResponseSpec(
            data_container=ErrorEnvelope, description=_ERROR_MEANINGS[code], generate_examples=False
        )
        for code in codes
    }


JOB_ERRORS = error_responses(400, 401, 404, 500)
"""The errors of an endpoint that reads or cancels a job by id."""
SUBMIT_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 500, 501, 502)
"""The errors of an endpoint that starts a job."""
