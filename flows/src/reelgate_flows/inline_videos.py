"""Videos answered inline (``save_to_db`` false) are stored once; job results reference them.

A job asked for ``save_to_db`` false answers its video as a ``data:video/mp4;base64,...`` URI
of up to ``data_uri_max_bytes`` (its previews as ``data:image/jpeg`` URIs, kept and referenced
the same way, beside it). The store step also keeps the bytes once in the configured
storage, under :func:`inline_key` (``customers/{id}/inline/{timestamp}_{uuid}.mp4``), and sets
the video's ``storage_key`` to where they are kept. The envelope is a :class:`KeptInline`,
which Prefect persists (pickles) with ``reelgate-inline:<storage_key>`` in place of the URI, so
the result storage carries about a kilobyte per job, and :func:`inflated` turns a result read
back from storage into the answer again.

With ``REELGATE_STORAGE_URL=data:`` there is no storage to keep the bytes in: the result then
holds the URI itself, as before.
"""

from __future__ import annotations

import asyncio
import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reelgate_flows.settings import Settings, run_settings
from reelgate_flows.storage.base import StoredObject
from reelgate_flows.storage.data_uri import VIDEO_URI_PREFIX, DataUriStorage
from reelgate_flows.storage.factory import storage_from_url
from reelgate_flows.storage.keys import PREVIEW_SUFFIXES, preview_key, video_key

INLINE_SCHEME = "reelgate-inline:"
IMAGE_URI_PREFIX = "data:image/jpeg;base64,"


def inline_key(customer_id: str) -> str:
    """A new key for the kept copy of a customer's inline video."""
    return video_key(customer_id).replace("/assets/video/", "/inline/", 1)


def put_inline(source: Path, key: str, settings: Settings) -> StoredObject:
    """The video at ``source`` as a data URI, its bytes kept once in the configured storage
    under ``key`` (an :func:`inline_key`; the answer's ``key`` = where), unless that storage is
    ``data:`` itself (``key`` None). Raises ``TooLargeError`` over the inline limit,
    ``StorageError`` when the copy cannot be kept."""
    answer = DataUriStorage(settings.data_uri_max_bytes).put(source, key)
    if settings.storage_url == "data:":
        return answer
    kept = storage_from_url(settings.storage_url, settings).put(source, key)
    return StoredObject(url=answer.url, key=kept.key, size_bytes=answer.size_bytes)


def _videos(envelope: Any) -> Iterator[dict[str, Any]]:
    """The video items of a success envelope (``data`` and each of ``data.videos``)."""
    if not isinstance(envelope, dict) or envelope.get("success") is not True:
        return
    data = envelope.get("data")
    if not isinstance(data, dict):
        return
    yield data
    for item in data.get("videos") or []:
        if isinstance(item, dict):
            yield item


def _is_kept_inline(item: dict[str, Any]) -> bool:
    url = item.get("video_url")
    return isinstance(url, str) and url.startswith("data:") and bool(item.get("storage_key"))


def _referenced_item(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with the URIs of its kept video and previews replaced by their references."""
    if not _is_kept_inline(item):
        return item
    key = item["storage_key"]
    referenced = {**item, "video_url": INLINE_SCHEME + key}
    for kind in PREVIEW_SUFFIXES:
        if str(item.get(f"{kind}_url") or "").startswith("data:"):
            referenced[f"{kind}_url"] = INLINE_SCHEME + preview_key(key, kind)
    return referenced


def referenced(envelope: dict[str, Any]) -> dict[str, Any]:
    """A plain copy of ``envelope`` with each kept inline video's URI replaced by its
    reference (the envelope itself is not changed)."""
    data = _referenced_item(dict(envelope["data"]))
    data["videos"] = [_referenced_item(dict(item)) for item in envelope["data"].get("videos") or []]
    return {**envelope, "data": data}


class KeptInline(dict[str, Any]):
    """A success envelope whose inline videos are kept in the storage. It is the whole
    envelope to whoever holds it, and pickles (how Prefect persists a flow's result) as
    :func:`referenced`: a plain dict any process reads back, the URIs left out."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (referenced(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> KeptInline:
        return KeptInline(copy.deepcopy(dict(self), memo))


def kept_small(envelope: dict[str, Any]) -> dict[str, Any]:
    """``envelope`` as a :class:`KeptInline` when it answers a kept inline video."""
    if any(_is_kept_inline(item) for item in _videos(envelope)):
        return KeptInline(envelope)
    return envelope


async def inflated(envelope: Any, settings: Settings | None = None) -> Any:
    """``envelope`` with each reference to a kept inline video replaced by its data URI
    (read from the configured storage); anything else is returned as it is."""
    items = [item for item in _videos(envelope) if _is_reference(item)]
    if not items:
        return envelope
    settings = settings or run_settings()
    storage = storage_from_url(settings.storage_url, settings)
    answer = copy.deepcopy(envelope)
    for item in _videos(answer):
        if _is_reference(item):
            data = await asyncio.to_thread(storage.open, item["storage_key"])
            item["video_url"] = VIDEO_URI_PREFIX + base64.b64encode(data).decode("ascii")
            for kind in PREVIEW_SUFFIXES:
                reference = item.get(f"{kind}_url")
                if isinstance(reference, str) and reference.startswith(INLINE_SCHEME):
                    image = await asyncio.to_thread(storage.open, reference[len(INLINE_SCHEME) :])
                    item[f"{kind}_url"] = IMAGE_URI_PREFIX + base64.b64encode(image).decode()
    return answer


def _is_reference(item: dict[str, Any]) -> bool:
    url = item.get("video_url")
    return isinstance(url, str) and url.startswith(INLINE_SCHEME) and bool(item.get("storage_key"))
