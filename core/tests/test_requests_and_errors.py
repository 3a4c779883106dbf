"""The seed's request contract, the error hierarchy and the envelopes."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from reelgate import errors
from reelgate.envelope import ErrorEnvelope
from reelgate.errors import ValidationError
from reelgate.requests import ExtendRequest, GenerateRequest, request_from_body


def test_the_seed_defaults() -> None:
    request = GenerateRequest.model_validate({"prompt": "a cat", "customer_id": "42"})
    assert request.video.model_dump(
        include={
            "model",
            "duration_seconds",
            "aspect_ratio",
            "enhance_prompt",
            "number_of_videos",
            "fps",
            "resolution",
            "generate_audio",
        }
    ) == {
        "model": "veo-3.1-fast",
        "duration_seconds": 5,
        "aspect_ratio": "9:16",
        "enhance_prompt": True,
        "number_of_videos": 1,
        "fps": None,
        "resolution": None,
        "generate_audio": None,
    }
    assert request.save_to_db is True and request.input_image_url is None


def test_numeric_customer_ids_are_accepted_as_text() -> None:
    assert GenerateRequest.model_validate({"prompt": "x", "customer_id": 42}).customer_id == "42"


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "", "customer_id": "c"},
        {"prompt": "   ", "customer_id": "c"},
        {"prompt": "x", "customer_id": ""},
        {"prompt": "x", "customer_id": "../etc"},
        {"prompt": "x", "customer_id": "a/b"},
        {"prompt": "x", "customer_id": True},
        {"prompt": "x", "customer_id": "c", "settings": {"video": {"duration_seconds": 0}}},
        {"prompt": "x", "customer_id": "c", "settings": {"video": {"aspect_ratio": "wide"}}},
        {"prompt": "x", "customer_id": "c", "settings": {"video": {"resolution": "4k"}}},
        {"prompt": "x", "customer_id": "c", "settings": {"video": {"model": " "}}},
        {"prompt": "x", "customer_id": "c", "settings": {"video": {"durration": 5}}},
        {"prompt": "x", "customer_id": "c", "unknown": 1},
    ],
)
def test_bad_requests_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(PydanticValidationError):
        GenerateRequest.model_validate(body)


def test_extend_needs_a_video_id() -> None:
    with pytest.raises(PydanticValidationError):
        ExtendRequest.model_validate({"prompt": "x", "customer_id": "c"})


@pytest.mark.parametrize(
    ("cls", "status", "retryable", "resubmit"),
    [
        (errors.ValidationError, 400, False, False),
        (errors.UnknownModelError, 400, False, False),
        (errors.ProviderNotConfiguredError, 400, False, False),
        (errors.ContentRejectedError, 400, False, False),
        (errors.CapabilityNotSupportedError, 501, False, False),
        (errors.ProviderError, 502, False, False),
        (errors.ProviderUnavailableError, 502, True, False),
        (errors.RateLimitedError, 502, True, True),
        (errors.StorageError, 502, False, False),
        (errors.ReelgateError, 500, False, False),
    ],
)
def test_each_error_knows_its_status_and_retry_rule(
    cls: type[errors.ReelgateError], status: int, retryable: bool, resubmit: bool
) -> None:
    assert (cls.status, cls.retryable, cls.safe_to_resubmit) == (status, retryable, resubmit)


def test_errors_survive_pickling_with_their_details() -> None:
    error = errors.RateLimitedError("slow", provider="klingai", provider_code="1302")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is errors.RateLimitedError and copy.details["provider_code"] == "1302"


def test_error_envelope_carries_type_message_and_details() -> None:
    envelope = ErrorEnvelope.from_exception(
        errors.ProviderError("job failed", provider="gemini", provider_code="13")
    )
    assert envelope.model_dump() == {
        "success": False,
        "code": 502,
        "error": {
            "type": "provider_error",
            "message": "job failed",
            "provider": "gemini",
            "provider_code": "13",
        },
    }


def test_unexpected_errors_leak_nothing() -> None:
    envelope = ErrorEnvelope.from_exception(KeyError("/secret/path password=hunter2"))
    assert envelope.code == 500 and "hunter2" not in envelope.model_dump_json()


@pytest.mark.parametrize(
    ("video", "field"),
    [
        ({"aspect_ratio": "16:9\n"}, "aspect_ratio"),
        ({"resolution": "720p\n"}, "resolution"),
        ({"duration_seconds": "1"}, "duration_seconds"),
        ({"duration_seconds": 4.0}, "duration_seconds"),
        ({"generate_audio": "false"}, "generate_audio"),
        ({"generate_audio": 0}, "generate_audio"),
        (
            {"provider_options": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {}}}}}}}}}},
            "provider_options",
        ),
        ({"provider_options": {"blob": "x" * 70_000}}, "provider_options"),
    ],
)
def test_request_types_are_strict_and_bounded(video: dict[str, Any], field: str) -> None:
    body = {"prompt": "p", "customer_id": "c", "settings": {"video": video}}
    with pytest.raises(ValidationError) as caught:
        request_from_body(body)
    assert f"settings.video.{field}" in caught.value.message


def test_save_to_db_must_be_a_boolean_and_csv_text_may_be_converted() -> None:
    with pytest.raises(ValidationError, match="save_to_db"):
        request_from_body({"prompt": "p", "customer_id": "c", "save_to_db": "false"})
    lax = request_from_body(
        {"prompt": "p", "customer_id": "c", "settings": {"video": {"duration_seconds": "4"}}},
        strict=False,
    )
    assert lax.video.duration_seconds == 4
