"""The seed's request bodies (``POST /video/generate`` and ``POST /video/extend``), kept exactly.

Field names and defaults are a public contract: ``prompt``, ``settings.video`` (model
``veo-3.1-fast``, duration_seconds 5, aspect_ratio ``9:16``, enhance_prompt true,
number_of_videos 1, fps/resolution/generate_audio null), ``customer_id``, ``input_image_url``,
``save_to_db``. Unknown fields are refused so that a typo never silently changes a paid job,
and types are strict (``"1"`` is not a number, ``"false"`` not a boolean): a mistyped field is a
400 that names it. ``provider_options`` is bounded in depth and size.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError
from reelgate.references import MAX_REFERENCES, Reference
from reelgate.request_examples import EXTEND_EXAMPLE, GENERATE_EXAMPLE

DEFAULT_MODEL = "veo-3.1-fast"
CUSTOMER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
ASPECT_RATIO_PATTERN = re.compile(r"^[1-9][0-9]?:[1-9][0-9]?$")
RESOLUTION_PATTERN = re.compile(r"^[1-9][0-9]{2,3}p$")


PROVIDER_OPTIONS_MAX_DEPTH = 8
PROVIDER_OPTIONS_MAX_BYTES = 64 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def json_depth(value: Any) -> int:
    """How deeply ``value`` (JSON-like data) nests: 0 for a scalar; counted without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            stack.append((child, depth + 1))
        deepest = max(deepest, depth + (1 if isinstance(item, dict | list) else 0))
    return deepest


RouteOrder = Literal["as_listed", "health", "price", "health_then_price"]
"""How a route's models are ordered (:mod:`reelgate_flows.routing`)."""


class VideoSettings(_Strict):
    """``settings.video``. ``model``: a model id, an alias, or a name matching a pattern."""

    model: str = Field(
        default=DEFAULT_MODEL,
        description="the video model: an id such as veo-3.1-fast, sora-2, kling-v2-6 or local "
        "(GET /video/models lists them), or an alias",
    )
    duration_seconds: Annotated[int, Field(ge=1, le=600)] = Field(
        default=5, description="length of the video in seconds; each model allows some lengths"
    )
    aspect_ratio: str = Field(
        default="9:16", description="width:height of the frame, e.g. 16:9 (landscape) or 9:16"
    )
    enhance_prompt: bool = Field(
        default=True, description="let the provider rewrite the prompt for better results"
    )
    number_of_videos: Annotated[int, Field(ge=1, le=16)] = Field(
        default=1, description="how many videos to make from the prompt (each one is billed)"
    )
    fps: Annotated[int | None, Field(ge=1, le=120)] = Field(
        default=None, description="frames per second; the model's default when unset"
    )
    resolution: str | None = Field(
        default=None,
        description="frame height such as 720p or 1080p; the model's default when unset",
    )
    generate_audio: bool | None = Field(
        default=None, description="make a soundtrack too, where the model can"
    )
    seed: Annotated[int | None, Field(ge=0, le=2**32 - 1)] = Field(
        default=None, description="a number that makes a generation repeatable, where supported"
    )
    negative_prompt: Annotated[str | None, Field(max_length=4000)] = Field(
        default=None, description="what the video should not show"
    )
    provider_options: dict[str, JsonValue] = Field(
        default_factory=dict, description="options passed to the provider as they are"
    )
    fallback_models: Annotated[list[str], Field(max_length=4)] = Field(
        default_factory=list,
        description="models to try in order when the model provably did not take the job "
        "(not configured, refused before acceptance, rate limited); never after an unclear "
        "submission",
    )
    fallback_order: RouteOrder | None = Field(
        default=None,
        description="how the model and its fallbacks are ordered: as_listed (the default), "
        "health (fewest refusals lately first), price (cheapest first) or health_then_price; "
        "a model whose circuit is open goes last",
        exclude_if=lambda order: order is None,  # an old request's digest unchanged
    )

    @field_validator("model")
    @classmethod
    def _model_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("model must not be empty")
        return value

    @field_validator("aspect_ratio")
    @classmethod
    def _aspect_ratio_shape(cls, value: str) -> str:
        if not ASPECT_RATIO_PATTERN.fullmatch(value):
            raise ValueError("aspect_ratio must look like '16:9'")
        return value

    @field_validator("resolution")
    @classmethod
    def _resolution_shape(cls, value: str | None) -> str | None:
        if value is not None and not RESOLUTION_PATTERN.fullmatch(value):
            raise ValueError("resolution must look like '720p'")
        return value

    @field_validator("provider_options", mode="before")
    @classmethod
    def _provider_options_bounded(cls, value: Any) -> Any:
        if json_depth(value) > PROVIDER_OPTIONS_MAX_DEPTH:
            raise ValueError(f"provider_options nests deeper than {PROVIDER_OPTIONS_MAX_DEPTH}")
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError) as exc:
            raise ValueError("provider_options must be JSON data") from exc
        if size > PROVIDER_OPTIONS_MAX_BYTES:
            raise ValueError(f"provider_options is larger than {PROVIDER_OPTIONS_MAX_BYTES} bytes")
        return value


def customer_id_of(value: Any) -> str:
    """The customer id a body's ``customer_id`` names: a string of the safe pattern, or a
    non-negative JSON integer read as its digits (ValueError for anything else). Every check of
    who a request acts for compares this value, never the raw one."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not CUSTOMER_ID_PATTERN.match(value):
        raise ValueError(
            "customer_id must be 1-128 characters of letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return value


class RequestSettings(_Strict):
    """``settings``: only ``video`` today."""

    video: VideoSettings = Field(default_factory=VideoSettings)


_CUSTOMER_ID_SCHEMA: dict[str, Any] = {
    # documented as it is read: a safe string, or a JSON integer read as its digits
    "type": ["string", "integer"],
    "oneOf": [
        {"type": "string", "pattern": CUSTOMER_ID_PATTERN.pattern},
        {"type": "integer", "minimum": 0},
    ],
}


class GenerateRequest(_Strict):
    """Body of ``POST /video/generate``: text-to-video, or image-to-video from an image URL."""

    model_config = ConfigDict(example=GENERATE_EXAMPLE)  # type: ignore[typeddict-unknown-key]

    prompt: Annotated[str, Field(max_length=20_000)] = Field(
        description="what the video shows: subject, action, setting, camera, style",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
    )
    settings: RequestSettings = Field(default_factory=RequestSettings)
    customer_id: str = Field(
        description="the customer the video is made for and stored under",
        json_schema_extra=_CUSTOMER_ID_SCHEMA,
    )
    input_image_url: str | None = Field(
        default=None,
        description="an https URL (or data: URI) of an image to animate: its first frame",
    )
    references: Annotated[list[Reference], Field(max_length=MAX_REFERENCES)] = Field(
        default_factory=list,
        exclude_if=lambda references: not references,  # an old request's digest unchanged
        description="images, videos or audio the video draws on, as many as its model takes",
    )
    save_to_db: bool = Field(
        default=True,
        description="store the video and answer its URL (false: answer a base64 data: URI)",
    )
    webhook_url: Annotated[str | None, Field(max_length=2048)] = Field(
        default=None, description="an https URL told of the job's end (signed, retried)"
    )

    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt must not be empty")
        return value.strip()

    @field_validator("customer_id", mode="before")
    @classmethod
    def _customer_id_safe(cls, value: Any) -> Any:
        return customer_id_of(value)

    @property
    def video(self) -> VideoSettings:
        return self.settings.video

    def only_model(self, model: str) -> Self:
        """A copy of this request naming ``model`` with no fallbacks (one attempt of a
        request that has some)."""
        video = self.video.model_copy(update={"model": model, "fallback_models": []})
        return self.model_copy(
            update={"settings": self.settings.model_copy(update={"video": video})}
        )

    def with_video(self, **fields: Any) -> Self:
        """A copy of this request with these ``settings.video`` fields set."""
        video = self.video.model_copy(update=fields)
        return self.model_copy(
            update={"settings": self.settings.model_copy(update={"video": video})}
        )

    def with_model(self, model: str) -> Self:
        """A copy of this request naming ``model`` (other fields, and which were set, kept)."""
        video = self.video.model_copy(update={"model": model})
        return self.model_copy(
            update={"settings": self.settings.model_copy(update={"video": video})}
        )


class ExtendRequest(GenerateRequest):
    """Body of ``POST /video/extend``: ``video_id`` is a provider video id or a reelgate job id."""

    model_config = ConfigDict(example=EXTEND_EXAMPLE)  # type: ignore[typeddict-unknown-key]

    video_id: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        description="the video to continue: a reelgate job id or the provider's video id"
    )

    @property
    def model_from_job(self) -> bool:
        """True when ``video_id`` is a reelgate job id and no model was given: the extension
        then uses the model that job used, known once the job is looked up."""
        return "model" not in self.video.model_fields_set and is_job_id(self.video_id)


def is_job_id(text: str) -> bool:
    """True for a reelgate job id: a UUID in its canonical form (lower case, with dashes)."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def request_from_body(
    body: Mapping[str, Any], *, extend: bool | None = None, strict: bool = True
) -> GenerateRequest:
    """The request a JSON object describes: an :class:`ExtendRequest` when ``extend`` is True
    (or None and the body has ``video_id``), else a :class:`GenerateRequest`. An invalid body
    raises the core ``ValidationError`` listing every problem (``problems``). ``strict=False``
    converts text to numbers and booleans (for sources that only hold text, such as CSV)."""
    wants_extend = extend if extend is not None else "video_id" in body
    model = ExtendRequest if wants_extend else GenerateRequest
    try:
        return model.model_validate(body, strict=strict)
    except PydanticValidationError as exc:
        problems = problems_of(exc)
        raise ValidationError(f"invalid request: {'; '.join(problems)}", problems=problems) from exc


def problems_of(error: PydanticValidationError) -> list[str]:
    """Each problem of a request as ``field: sentence`` (without Pydantic's "Value error, "
    prefixes, which mean nothing to a caller)."""
    problems = []
    for e in error.errors():
        message = str(e["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        problems.append(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {message}")
    return problems
