"""How job results are shown over HTTP: file:// URLs of the local folder storage become
signed, expiring URLs this app serves under ``/files/``, and the files behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelgate.errors import NotFoundError, StorageError
from reelgate_api.http.file_urls import FileSigner
from reelgate_flows.storage.files import FileStorage

FILES_PATH = "/files"


def served_url(item: dict[str, Any], base_url: str, signer: FileSigner) -> dict[str, Any]:
    url, key = item.get("video_url"), item.get("storage_key")
    if isinstance(url, str) and url.startswith("file://") and key:
        return {**item, "video_url": signer.url(base_url, FILES_PATH, key)}
    return item


def present(envelope: dict[str, Any], base_url: str, signer: FileSigner) -> dict[str, Any]:
    data = served_url(envelope["data"], base_url, signer)
    data["videos"] = [served_url(video, base_url, signer) for video in data.get("videos", [])]
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
