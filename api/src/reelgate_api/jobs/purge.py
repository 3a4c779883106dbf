"""Deleting a job for good (``DELETE /v1/videos/{id}``, ``DELETE /video/jobs/{id}?purge=true``):
it is cancelled if it still runs, marked deleted (every face answers 404 for it, and it cannot
be extended), and its stored videos are removed, so their signed URLs stop working too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from reelgate.errors import ConflictError
from reelgate_api.jobs.admission import Admission
from reelgate_flows.settings import Settings
from reelgate_flows.storage.factory import storage_from_url
from reelgate_flows.storage.keys import PREVIEW_SUFFIXES, preview_key

logger = logging.getLogger("reelgate.api")


def stored_keys(result: dict[str, Any] | None) -> list[str]:
    """The storage keys of the videos a job's envelope names, and of their stored previews."""
    data = (result or {}).get("data") or {}
    keys: set[str] = set()
    for video in data.get("videos") or [data]:
        if key := video.get("storage_key"):
            keys.add(key)
            keys.update(
                preview_key(key, kind) for kind in PREVIEW_SUFFIXES if video.get(f"{kind}_url")
            )
    return sorted(keys)


async def purge(admission: Admission, job_id: str, settings: Settings) -> list[str]:
    """Cancel, mark deleted and remove the stored videos of ``job_id``; the keys removed. The
    job is gone from every face even when a stored object cannot be removed (then logged,
    and the error raised for the caller to report)."""
    with contextlib.suppress(ConflictError):  # it ended already
        await admission.cancel(job_id)
    runner = admission.runner
    view = await runner.view(job_id)
    assert runner.records is not None, "a purge needs the job records"
    await runner.records.delete(job_id)
    keys = stored_keys(view.result if view is not None else None)
    storage = storage_from_url(settings.storage_url, settings)
    for key in keys:
        try:
            await asyncio.to_thread(storage.delete, key)
        except Exception:
            logger.exception("removing %s of deleted job %s failed", key, job_id)
            raise
    return keys
