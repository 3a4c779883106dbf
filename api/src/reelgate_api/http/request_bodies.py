"""Typed request bodies: a handler's ``data`` parameter is the seed's request model, read by
reelgate's own parser (JSON depth limit, strict types, every problem named in one 400) and
documented in the OpenAPI from that model's schema.

Litestar's own decoding is bypassed on purpose: its messages and coercions are not the
seed's contract. :class:`SeedBody` decodes, and its schema comes from the model itself.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from litestar.dto import AbstractDTO, DTOConfig
from litestar.openapi.spec import Reference, Schema
from litestar.typing import FieldDefinition
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError
from reelgate.requests import (
    ExtendRequest,
    GenerateRequest,
    json_depth,
    problems_of,
    request_from_body,
)
from reelgate.storyboards import StoryboardRequest
from reelgate_api.http.errors import EMPTY_BODY

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.dto.data_structures import DTOFieldDefinition

MAX_DEPTH = 16
"""The deepest nesting a request body may have (the seed's body is 3 deep)."""

RequestT = TypeVar("RequestT", bound=BaseModel)


def json_value(raw: bytes) -> Any:
    """A request body of JSON nesting at most ``MAX_DEPTH`` levels; ValidationError (400)
    otherwise."""
    if not raw.strip():
        raise ValidationError(EMPTY_BODY)
    try:
        body: Any = json.loads(raw)
    except RecursionError as exc:
        raise ValidationError(f"the request body nests deeper than {MAX_DEPTH}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("the request body is not valid JSON") from exc
    if json_depth(body) > MAX_DEPTH:
        raise ValidationError(f"the request body nests deeper than {MAX_DEPTH}")
    return body


def json_object(raw: bytes) -> dict[str, Any]:
    """:func:`json_value` that must be one JSON object."""
    body = json_value(raw)
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object")
    return body


class SeedBody(AbstractDTO[RequestT], Generic[RequestT]):
    """A ``data: GenerateRequest`` (or ``ExtendRequest``) body, parsed as the seed parses it.

    ``extend``: True/False forces the model; None reads an :class:`ExtendRequest` when the
    body has ``video_id`` (``POST /video/jobs``). Bodies only: handlers answer plain JSON."""

    config: ClassVar[DTOConfig] = DTOConfig()
    extend: ClassVar[bool | None] = False

    def parse(self, body: dict[str, Any]) -> Any:
        """The request of a JSON object (the core's ValidationError when it is not one)."""
        return request_from_body(body, extend=self.extend)

    def decode_bytes(self, value: bytes) -> RequestT:
        request: Any = self.parse(json_object(value))
        return request  # type: ignore[no-any-return]

    def decode_builtins(self, value: dict[str, Any]) -> RequestT:
        request: Any = self.parse(value)
        return request  # type: ignore[no-any-return]

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()  # decoding is the parser's; no transfer model is built

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        """Nothing to build: :meth:`decode_bytes` reads the body."""

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        models = [GenerateRequest, ExtendRequest] if cls.extend is None else [cls.model_type]
        schemas = [
            schema_creator.for_field_definition(FieldDefinition.from_annotation(model))
            for model in models
        ]
        return schemas[0] if len(schemas) == 1 else Schema(one_of=schemas)


class GenerateBody(SeedBody[GenerateRequest]):
    """``POST /video/generate``'s body."""


class ExtendBody(SeedBody[ExtendRequest]):
    """``POST /video/extend``'s body."""

    extend = True


class JobBody(SeedBody[GenerateRequest]):
    """``POST /video/jobs`` and ``POST /video/estimate``: a generate body, or an extend body
    when it names ``video_id``."""

    extend = None


class StoryboardBody(SeedBody[StoryboardRequest]):
    """``POST /video/storyboards``: a storyboard."""

    def parse(self, body: dict[str, Any]) -> Any:
        try:
            return StoryboardRequest.model_validate(body)
        except PydanticValidationError as exc:
            problems = problems_of(exc)
            raise ValidationError(
                f"invalid storyboard: {'; '.join(problems)}", problems=problems
            ) from exc
