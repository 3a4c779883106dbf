"""How job results are shown over HTTP: file:// URLs of the local folder storage become URLs
this app serves under ``/files/``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

FILES_PATH = "/files"


def served_url(item: dict[str, Any], base_url: str) -> dict[str, Any]:
    url, key = item.get("video_url"), item.get("storage_key")
    if isinstance(url, str) and url.startswith("file://") and key:
        return {**item, "video_url": f"{base_url}{FILES_PATH}/{quote(key)}"}
    return item


def present(envelope: dict[str, Any], base_url: str) -> dict[str, Any]:
    data = served_url(envelope["data"], base_url)
    data["videos"] = [served_url(video, base_url) for video in data.get("videos", [])]
    return {**envelope, "data": data}
