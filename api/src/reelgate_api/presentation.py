"""How job results are shown over HTTP: file:// URLs of the local folder storage become
signed, expiring URLs this app serves under ``/files/``."""

from __future__ import annotations

from typing import Any

from reelgate_api.file_urls import FileSigner

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
