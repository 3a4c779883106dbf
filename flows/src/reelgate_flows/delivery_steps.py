"""The delivery steps of a generation: ``download`` (a task, retried: it streams a finished
video into the spool and checks it is whole and playable, :mod:`reelgate_flows.media_check`,
before it is kept) and ``store`` (a plain step, never retried: a failed store leaves the video
in the spool with a pending record that drain-spool completes)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from reelgate import errors
from reelgate.errors import StorageError, TooLargeError
from reelgate.jobs import JobKind, ProviderJob, VideoRef
from reelgate.media import VideoInput
from reelgate.requests import GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate_flows import content_credentials
from reelgate_flows.content_credentials import Provenance, sign_in_place
from reelgate_flows.http import shared_client
from reelgate_flows.inline_videos import inline_key, put_inline
from reelgate_flows.media_check import UnplayableVideo, VideoFacts, decode_slots, inspect_video
from reelgate_flows.preview_store import store_previews
from reelgate_flows.previews import PreviewMaker, SpriteSpec, decode_through, remove_previews
from reelgate_flows.retry import retry_if_retryable
from reelgate_flows.settings import Settings, run_settings
from reelgate_flows.spool import Spool
from reelgate_flows.steps import step_progress
from reelgate_flows.storage import StoredObject, storage_from_url, video_key


def expected_seconds(job: ProviderJob, video: VideoRef, request: GenerateRequest) -> float | None:
    """How long ``video`` should be: as the provider reported it, else as asked (an extension's
    length is the provider's to say)."""
    if video.duration_seconds:
        return video.duration_seconds
    return None if job.kind is JobKind.EXTEND else float(request.video.duration_seconds)


def with_facts(video: VideoRef, facts: dict[str, Any]) -> VideoRef:
    """``video`` with its size, length and audio as measured where the provider told none."""
    told = video.model_dump(include={"width", "height", "duration_seconds", "has_audio"})
    filled = {name: facts[name] for name, value in told.items() if value is None}
    return video.model_copy(update=filled) if filled else video


def sprite_spec(settings: Settings) -> SpriteSpec | None:
    if not settings.previews:
        return None
    return SpriteSpec(settings.sprite_tiles, settings.sprite_columns, settings.sprite_tile_width)


def _checker(
    job: ProviderJob,
    video: VideoRef,
    expected: float | None,
    measured: list[VideoFacts],
    spooled: Path,
) -> Callable[[Path], VideoFacts]:
    """The check of a download; what it measures is appended to ``measured``. With previews
    on, it makes those of the video that becomes ``spooled``, beside it."""
    tolerance = get_runtime().resolve(job.model).spec.capabilities.duration_tolerance_seconds
    settings = run_settings()
    slots = decode_slots(settings.media_checks)
    sprites = sprite_spec(settings)

    def check(path: Path) -> VideoFacts:
        through = None if sprites is None else decode_through(PreviewMaker(spooled, sprites))
        try:
            facts = inspect_video(path, video.mime_type, expected, tolerance, slots, through)
            measured.append(facts)
            return facts
        except UnplayableVideo as exc:
            raise errors.DownloadCorruptError(
                f"the {job.provider} video {video.provider_video_id} arrived broken: {exc}",
                provider=job.provider,
                provider_job_id=job.provider_job_id,
                bytes_received=path.stat().st_size,
            ) from None

    return check


@task(name="download", cache_policy=NO_CACHE, retry_condition_fn=retry_if_retryable)
async def download(
    job: ProviderJob,
    video: VideoRef,
    job_id: str,
    customer_id: str,
    expected_seconds: float | None = None,
) -> dict[str, Any]:
    """Stream the video into the spool and check it is whole and playable (of about
    ``expected_seconds``); returns ``{"path": the spool file, "facts": what the check measured
    (width, height, duration_seconds, codec, has_audio)}``. A broken download keeps nothing and
    raises the retryable ``DownloadCorruptError``: the next attempt downloads again."""
    settings = run_settings()
    runtime = get_runtime()
    spool = Spool(settings.spool_dir)
    path = spool.path(job.provider, job.provider_job_id, video.provider_video_id)
    spool.write_meta(
        path,
        {
            "job_id": job_id,
            "customer_id": customer_id,
            "job": job.model_dump(mode="json"),
            "video": video.model_dump(mode="json"),
        },
    )
    ctx = runtime.context(
        job.provider,
        job_id=job_id,
        progress=step_progress(job_id, "download"),
        http_client=shared_client(),
    )
    measured: list[VideoFacts] = []
    check = _checker(job, video, expected_seconds, measured, path)
    await spool.fill(path, runtime.download(job, video, ctx), settings.video_max_bytes, check)
    if not measured:  # checked when an earlier attempt spooled it: measured again
        await asyncio.to_thread(check, path)
    facts = measured[0]
    return {
        "path": str(path),
        "facts": {
            "width": facts.width,
            "height": facts.height,
            "duration_seconds": round(facts.duration_seconds, 3),
            "codec": facts.codec,
            "has_audio": facts.has_audio,
        },
    }


async def store(spool_path: str, customer_id: str, save_to_db: bool) -> StoredObject:
    """Store a spooled video and its previews (stored first, beside it:
    :mod:`reelgate_flows.preview_store`); it leaves the spool only once the storage has it.
    Without ``save_to_db`` the answer is a data URI (the previews' too) and the bytes are
    kept once (:func:`~reelgate_flows.inline_videos.put_inline`). A plain step, not a task: it is
    never retried (a failed store leaves a pending record for drain-spool) nor cached. Every
    failure of the storage, whatever it raised, is a :class:`StorageError` naming the spool
    file, so the job's video is never orphaned."""
    settings = run_settings()
    path = Path(spool_path)
    spool = Spool(settings.spool_dir)
    try:
        storage = storage_from_url(settings.storage_url, settings)
        if save_to_db:  # the previews first: a stored video always has them beside it
            key = video_key(customer_id)
            previews = await asyncio.to_thread(store_previews, storage, path, key)
            stored = await asyncio.to_thread(storage.put, path, key)
        else:  # the video first: one over the inline limit leaves no previews behind
            key = inline_key(customer_id)
            stored = await asyncio.to_thread(put_inline, path, key, settings)
            previews = await asyncio.to_thread(store_previews, storage, path, key, True)
    except TooLargeError as exc:  # over the inline limit: the caller's choice to change
        exc.details.setdefault("spool_path", str(path))
        raise
    except StorageError as exc:
        exc.details.setdefault("spool_path", str(path))
        exc.message = f"{exc.message}; the video is kept at {path}"
        raise
    except Exception as exc:  # whatever else a storage raised, it is a storage failure
        raise StorageError(
            f"the storage failed ({exc}); the video is kept at {path}", spool_path=str(path)
        ) from exc
    remove_previews(path)
    spool.release(path)
    return dataclasses.replace(stored, previews=previews)


async def sign(
    spooled: list[str],
    request: GenerateRequest,
    job: ProviderJob,
    job_id: str,
    source: VideoInput | None,
) -> dict[str, Any] | None:
    """Sign every spooled video's content credentials when a signer is configured
    (:mod:`reelgate_flows.content_credentials`); what the envelope says of them
    (``{"signed": false, "error": ...}`` when one failed: it is stored unsigned), or None."""
    settings = run_settings()
    if not await asyncio.to_thread(content_credentials.configured, settings):
        return None
    provenance = Provenance(job.model, job.provider, job_id, request.prompt, source)
    said: dict[str, Any] = {"signed": True, "standard": "c2pa"}
    for path in spooled:
        done = await asyncio.to_thread(sign_in_place, Path(path), provenance, settings)
        if not done["signed"]:
            said = done
    return said
