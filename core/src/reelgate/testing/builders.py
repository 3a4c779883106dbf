"""Request bodies and requests as a client sends them, for tests of plugins and faces."""

from __future__ import annotations

from typing import Any

from reelgate.requests import GenerateRequest, request_from_body


def request_body(
    prompt: str = "a paper boat on a pond",
    *,
    customer_id: str = "test-customer",
    video_id: str | None = None,
    input_image_url: str | None = None,
    save_to_db: bool | None = None,
    **video: Any,
) -> dict[str, Any]:
    """The JSON body of a request: ``video`` keywords go to ``settings.video``; fields left
    None are left out (so their defaults apply)."""
    body: dict[str, Any] = {
        "prompt": prompt,
        "customer_id": customer_id,
        "settings": {"video": video},
        "video_id": video_id,
        "input_image_url": input_image_url,
        "save_to_db": save_to_db,
    }
    return {name: value for name, value in body.items() if value is not None}


def make_request(prompt: str = "a paper boat on a pond", **fields: Any) -> GenerateRequest:
    """:func:`request_body` parsed as the API parses it (an ExtendRequest with ``video_id``)."""
    return request_from_body(request_body(prompt, **fields))
