"""OpenAPI documentation of the request bodies the handlers read themselves, with the seed's
examples (served at ``/schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)

from reelgate.envelope import ErrorEnvelope
from reelgate.requests import CUSTOMER_ID_PATTERN

GENERATE_EXAMPLE: dict[str, Any] = {
    "prompt": "A paper lantern drifting over a night lake, slow dolly in",
    "settings": {
        "video": {
            "model": "veo-3.1-fast",
            "duration_seconds": 8,
            "aspect_ratio": "16:9",
            "enhance_prompt": True,
            "number_of_videos": 1,
            "resolution": "720p",
            "generate_audio": True,
        }
    },
    "customer_id": "acme-42",
    "input_image_url": None,
    "save_to_db": True,
}
EXTEND_EXAMPLE: dict[str, Any] = {
    **GENERATE_EXAMPLE,
    "prompt": "The lantern rises into the clouds",
    "video_id": "6f1c2a8e-4b7d-4f3e-9a61-0c2d5e8b9f10",
}
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

_PROPERTIES = {
    "prompt": Schema(
        type=OpenAPIType.STRING,
        description="what the video shows",
        min_length=1,
        max_length=20_000,
        pattern=r"\S",
    ),
    "settings": Schema(
        type=OpenAPIType.OBJECT,
        description="{video: {model, duration_seconds, aspect_ratio, "
        "enhance_prompt, number_of_videos, fps, resolution, generate_audio, "
        "seed, negative_prompt, provider_options}}",
    ),
    "customer_id": Schema(
        description="the customer the video is made for (a number is read as its digits)",
        one_of=[
            Schema(type=OpenAPIType.STRING, pattern=CUSTOMER_ID_PATTERN.pattern),
            Schema(type=OpenAPIType.INTEGER, minimum=0),
        ],
    ),
    "input_image_url": Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL]),
    "save_to_db": Schema(type=OpenAPIType.BOOLEAN),
    "webhook_url": Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL]),
}


def _body(example: dict[str, Any], extend: bool) -> RequestBody:
    properties: dict[str, Schema | Reference] = dict(_PROPERTIES)
    required = ["prompt", "customer_id"]
    if extend:
        properties["video_id"] = Schema(
            type=OpenAPIType.STRING,
            description="a provider video id or a reelgate job id",
            min_length=1,
            max_length=2048,
        )
        required.append("video_id")
    schema = Schema(type=OpenAPIType.OBJECT, properties=properties, required=required)
    return RequestBody(
        required=True,
        content={"application/json": OpenAPIMediaType(schema=schema, example=example)},
    )


@dataclass
class GenerateOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = self.request_body or _body(GENERATE_EXAMPLE, extend=False)


@dataclass
class ExtendOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = self.request_body or _body(EXTEND_EXAMPLE, extend=True)
