"""The local spool: every downloaded video lands here first and stays until it is stored.

A spooled video is ``<root>/<provider>/<provider_job_id>/<provider_video_id>.mp4`` with a
``.json`` beside it describing the job and where it was meant to go. A video is written to a
``.partial`` file, checked, and renamed only when the check passed, so a complete spool file is
always a whole video.
``release`` removes it only after the storage confirmed the upload.

A job whose videos could not be stored leaves a *pending record* ``<root>/jobs/<job_id>.json``:
everything needed to store its videos later and finish the job (the ``drain-spool`` flow).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
from anyio import AsyncFile

from reelgate.errors import TooLargeError

WRITE_BYTES = 1 << 20
"""How much of a download is gathered before it is written (in a thread)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _safe(part: str) -> str:
    cleaned = _UNSAFE.sub("_", part).lstrip(".")
    return cleaned[:200] or "_"


def _size_if_complete(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, provider: str, provider_job_id: str, provider_video_id: str) -> Path:
        return (
            self.root
            / _safe(provider)
            / _safe(provider_job_id)
            / (f"{_safe(provider_video_id)}.mp4")
        )

    async def fill(
        self,
        path: Path,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        check: Callable[[Path], object] | None = None,
    ) -> int:
        """Stream ``chunks`` into ``path`` (a complete file already there is kept as it is).
        ``check`` runs (in a thread) on the written file before it becomes ``path``; what it
        raises is raised and nothing is kept. Returns the file's size."""
        existing = await anyio.to_thread.run_sync(_size_if_complete, path)
        if existing is not None:
            return existing
        await anyio.to_thread.run_sync(lambda: path.parent.mkdir(parents=True, exist_ok=True))
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            async with await anyio.open_file(partial, "wb") as handle:
                size = await _write_all(handle, chunks, max_bytes)
                await handle.flush()
                # made durable while the check reads it: both must pass before it is kept
                descriptor = handle.wrapped.fileno()
                synced = asyncio.ensure_future(anyio.to_thread.run_sync(os.fsync, descriptor))
                try:
                    if check is not None:
                        await anyio.to_thread.run_sync(check, partial)
                finally:
                    await asyncio.wait([synced])
                synced.result()
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return size

    def write_meta(self, path: Path, meta: dict[str, Any]) -> None:
        meta_path = path.with_suffix(".json")
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = meta_path.with_name(f"{meta_path.name}.partial")
        tmp.write_text(json.dumps(meta, indent=2, default=str))
        os.replace(tmp, meta_path)

    def _pending_path(self, job_id: str) -> Path:
        return self.root / "jobs" / f"{_safe(job_id)}.json"

    def record_pending(self, job_id: str, record: dict[str, Any]) -> Path:
        """Write (or replace) the pending record of ``job_id``; returns its path."""
        path = self._pending_path(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.partial")
        tmp.write_text(json.dumps({**record, "job_id": job_id}, indent=2, default=str))
        os.replace(tmp, path)
        return path

    def pending(self) -> list[dict[str, Any]]:
        """Every pending record, oldest first."""
        folder = self.root / "jobs"
        if not folder.is_dir():
            return []
        paths = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [json.loads(p.read_text()) for p in paths]

    def forget_pending(self, job_id: str) -> None:
        self._pending_path(job_id).unlink(missing_ok=True)

    def release(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()
            except OSError:
                break


async def _write_all(handle: AsyncFile[bytes], chunks: AsyncIterator[bytes], max_bytes: int) -> int:
    """Write ``chunks`` to ``handle``, a MiB at a time (one thread hop per write); the size."""
    size = 0
    pending = bytearray()
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(
                f"the provider's video exceeds {max_bytes} bytes", limit_bytes=max_bytes
            )
        pending += chunk
        if len(pending) >= WRITE_BYTES:
            await handle.write(bytes(pending))
            pending.clear()
    await handle.write(bytes(pending))
    return size
