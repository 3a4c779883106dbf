"""Reading HTTP request bodies into the seed's request models, with clear 400s."""

from __future__ import annotations

import json
from typing import Any

from reelgate.errors import ValidationError
from reelgate.requests import GenerateRequest, json_depth, request_from_body

MAX_DEPTH = 16
"""The deepest nesting a request body may have (the seed's body is 3 deep)."""


def json_value(raw: bytes) -> Any:
    """A request body of JSON nesting at most ``MAX_DEPTH`` levels; ValidationError (400)
    otherwise."""
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


def parse_request(raw: bytes, *, extend: bool | None) -> GenerateRequest:
    """``extend``: True/False forces the model; None picks ExtendRequest when ``video_id``
    is present (``POST /video/jobs``)."""
    return request_from_body(json_object(raw), extend=extend)
