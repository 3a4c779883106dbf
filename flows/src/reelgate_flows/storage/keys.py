"""The object key layout, kept exactly: ``customers/{id}/assets/video/{timestamp}_{uuid}.mp4``,
and the previews beside it: ``{timestamp}_{uuid}.poster.jpg``, ``.thumbnail.jpg``,
``.sprites.jpg``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from reelgate.requests import CUSTOMER_ID_PATTERN

TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


def video_key(customer_id: str, now: datetime | None = None, uid: uuid.UUID | None = None) -> str:
    """A new key for a customer's video. ``customer_id`` must already be validated."""
    if not CUSTOMER_ID_PATTERN.match(customer_id):
        raise ValueError(f"unsafe customer id {customer_id!r}")
    stamp = (now or datetime.now(UTC)).strftime(TIMESTAMP_FORMAT)
    return f"customers/{customer_id}/assets/video/{stamp}_{uid or uuid.uuid4()}.mp4"


PREVIEW_SUFFIXES = {
    "poster": ".poster.jpg",
    "thumbnail": ".thumbnail.jpg",
    "spritesheet": ".sprites.jpg",
}
"""Each preview and the suffix it takes in place of its video's ``.mp4``."""


def preview_key(key: str, kind: str) -> str:
    """The key of the ``kind`` preview (a key of :data:`PREVIEW_SUFFIXES`) of the video ``key``."""
    return key.removesuffix(".mp4") + PREVIEW_SUFFIXES[kind]
