"""``Range`` requests of stored videos (RFC 9110 §14): players seek with them, and iOS Safari
plays nothing from a server that answers a range with the whole file. One range per request
(a multi-range request is answered with its first range); an unsatisfiable one is 416."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from litestar.response import File, Response, Stream

CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) bytes a ``Range`` header asks of a ``size``-byte file; None
    when there is no usable header (the whole file is sent); ``(size, size)`` marks an
    unsatisfiable one."""
    if not header:
        return None
    found = _RANGE.fullmatch(header.split(",")[0].strip())
    if found is None:
        return None
    start, end = found.groups()
    if not start and not end:
        return None
    if not start:  # the last N bytes
        first, last = max(size - int(end), 0), size - 1
    else:
        first, last = int(start), min(int(end) if end else size - 1, size - 1)
    if first >= size or first > last:
        return (size, size)
    return (first, last)


async def _slice(path: Path, first: int, last: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as video:
        await video.seek(first)
        left = last - first + 1
        while left > 0:
            chunk = await video.read(min(CHUNK_BYTES, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def ranged_file(path: Path, media_type: str, range_header: str | None) -> Response[Any]:
    """The file whole (200), the range asked (206), or 416; each says ``Accept-Ranges`` and
    names the file (``Content-Disposition: inline; filename=...``)."""
    size = path.stat().st_size
    disposition = {"Content-Disposition": f'inline; filename="{path.name}"'}
    wanted = byte_range(range_header, size)
    if wanted is None:
        return File(
            path,
            media_type=media_type,
            filename=path.name,
            content_disposition_type="inline",
            headers={"Accept-Ranges": "bytes"},
        )
    first, last = wanted
    if first == size:
        return Response(
            b"",
            status_code=416,
            headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        )
    return Stream(
        _slice(path, first, last),
        status_code=206,
        media_type=media_type,
        headers={
            "Content-Range": f"bytes {first}-{last}/{size}",
            "Content-Length": str(last - first + 1),
            "Accept-Ranges": "bytes",
            **disposition,
        },
    )
