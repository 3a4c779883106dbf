"""How job results are shown over HTTP: file:// URLs of the local folder storage become
signed, expiring URLs this app serves under ``/files/``, and the files behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelgate.errors import NotFoundError, StorageError
from reelgate_api.http.file_urls import FileSigner
from reelgate_flows.storage.files import FileStorage
from reelgate_flows.storage.keys import PREVIEW_SUFFIXES, preview_key

FILES_PATH = "/files"


def served_url(item: dict[str, Any], base_url: str, signer: FileSigner) -> dict[str, Any]:
    """``item`` (a result's data or one of its videos) with the file:// URLs of its video and
    previews made signed ``/files/`` URLs."""
    key = item.get("storage_key")
    if not key:
        return item
    served = dict(item)
    keys = {"video_url": key} | {f"{kind}_url": preview_key(key, kind) for kind in PREVIEW_SUFFIXES}
    for field, file_key in keys.items():
        url = item.get(field)
        if isinstance(url, str) and url.startswith("file://"):
            served[field] = signer.url(base_url, FILES_PATH, file_key)
    return served


def present(envelope: dict[str, Any], base_url: str, signer: FileSigner) -> dict[str, Any]:
    data = served_url(envelope["data"], base_url, signer)
    data["videos"] = [served_url(video, base_url, signer) for video in data.get("videos", [])]
    if data.get("shots"):  # a storyboard's
        data["shots"] = [served_url(shot, base_url, signer) for shot in data["shots"]]
    return {**envelope, "data": data}


def stored_path(storage_url: str, key: str) -> Path:
    """The file of ``key`` in the local folder storage; NotFoundError when there is none."""
    if not storage_url.startswith("file://") or "\x00" in key:
        raise NotFoundError("no such video")
    storage = FileStorage(Path(storage_url.removeprefix("file://")))
    try:
        path = storage.path(key)
    except StorageError as exc:
        raise NotFoundError("no such video") from exc
    if not path.is_file():
        raise NotFoundError("no such video")
    return path
