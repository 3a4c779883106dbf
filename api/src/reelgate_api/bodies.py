"""Reading request bodies into the seed's request models, with clear 400s."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError
from reelgate.requests import ExtendRequest, GenerateRequest


def parse_request(raw: bytes, *, extend: bool | None) -> GenerateRequest:
    """``extend``: True/False forces the model; None picks ExtendRequest when ``video_id``
    is present (``POST /video/jobs``)."""
    try:
        body: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("the request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ValidationError("the request body must be a JSON object")
    wants_extend = extend if extend is not None else "video_id" in body
    model = ExtendRequest if wants_extend else GenerateRequest
    try:
        return model.model_validate(body)
    except PydanticValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        ]
        raise ValidationError(f"invalid request: {'; '.join(problems)}", problems=problems) from exc
