"""Inline storage: the video itself as a ``data:video/mp4;base64,...`` URI (save_to_db false)."""

from __future__ import annotations

import base64
from pathlib import Path

from reelgate.errors import TooLargeError
from reelgate_flows.storage.base import StoredObject

VIDEO_URI_PREFIX = "data:video/mp4;base64,"


class DataUriStorage:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def full_key(self, key: str) -> str:
        return key

    def put(self, source: Path, key: str) -> StoredObject:
        size = source.stat().st_size
        if size > self.max_bytes:
            raise TooLargeError(
                f"the video is {size} bytes, over the {self.max_bytes}-byte limit for an inline "
                "data URI; request it with save_to_db true to get a stored URL",
                size_bytes=size,
                limit_bytes=self.max_bytes,
            )
        encoded = base64.b64encode(source.read_bytes()).decode("ascii")
        return StoredObject(url=f"{VIDEO_URI_PREFIX}{encoded}", key=None, size_bytes=size)

    def open(self, key: str) -> bytes:
        if not key.startswith(VIDEO_URI_PREFIX):
            raise ValueError("not a video data URI")
        return base64.b64decode(key[len(VIDEO_URI_PREFIX) :], validate=True)

    def delete(self, key: str) -> None:
        """Nothing is kept: the video lives in its answer only."""
