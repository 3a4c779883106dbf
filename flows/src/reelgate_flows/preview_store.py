"""Storing the previews of a spooled video (:mod:`reelgate_flows.previews`) beside it: in its
storage under :func:`~reelgate_flows.storage.keys.preview_key`, or as ``data:image/jpeg`` URIs
where the video itself is answered inline."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from reelgate_flows.inline_videos import IMAGE_URI_PREFIX
from reelgate_flows.previews import read_manifest
from reelgate_flows.storage.base import Storage
from reelgate_flows.storage.data_uri import DataUriStorage
from reelgate_flows.storage.keys import preview_key


def store_previews(
    storage: Storage | None, spooled_video: Path, video_key: str, inline: bool = False
) -> dict[str, Any] | None:
    """Store the previews of ``spooled_video``, whose video goes to ``storage`` (None: nowhere)
    under ``video_key``. ``inline``: the video is answered as a data URI, so are they (their
    copies kept beside it, as :mod:`reelgate_flows.inline_videos` keeps the video's). Returns
    the ``reelgate.envelope.Previews`` fields (``poster_url``, ``thumbnail_url``,
    ``spritesheet_url``, ``spritesheet``), or None when the check made none. The storage's
    errors are raised as they are (a StorageError)."""
    manifest = read_manifest(spooled_video)
    if manifest is None:
        return None
    keeps = storage is not None and not isinstance(storage, DataUriStorage)
    shown: dict[str, Any] = {"spritesheet": manifest["grid"]}
    for kind, path in manifest["files"].items():
        url = storage.put(path, preview_key(video_key, kind)).url if keeps else None  # type: ignore[union-attr]
        if inline or url is None:
            encoded = base64.b64encode(path.read_bytes()).decode("ascii")
            url = f"{IMAGE_URI_PREFIX}{encoded}"
        shown[f"{kind}_url"] = url
    return shown
