"""Resolves the ``video_id`` of an extend request to the video to continue, within the
request's customer.

``video_id`` may be a reelgate job id (a flow run id, in its canonical form, whose result is a
stored video), a URL, a local path (CLI only), or else a provider video id handed to the
provider as it is. A job id, or a provider video id made by a reelgate job, must belong to the
request's customer: another customer's is answered exactly as an unknown one (404). Video bytes
are checked to be whole and playable before they are handed to a provider.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

from reelgate.errors import NotFoundError, ValidationError
from reelgate.media import VideoInput
from reelgate.requests import ExtendRequest, GenerateRequest, is_job_id
from reelgate_flows.idempotency import MODEL_TAG, video_tag
from reelgate_flows.inputs import fetch, sniff_video_type
from reelgate_flows.job_ids import find_job_run
from reelgate_flows.media_check import UnplayableVideo, decode_slots, inspect_video
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.settings import Settings, run_settings
from reelgate_flows.storage import storage_from_url
from reelgate_flows.storage.data_uri import DataUriStorage


@dataclass(frozen=True)
class VideoSource:
    """The video to extend, and the model that made it when reelgate knows it."""

    video: VideoInput
    model: str | None = None


async def resolve_video(
    video_id: str, customer_id: str, settings: Settings, allow_local_files: bool
) -> VideoSource:
    earlier = await source_job(video_id, customer_id)
    if earlier is not None:
        return VideoSource(await _stored_video(earlier, settings), earlier.get("model"))
    scheme = urlsplit(video_id).scheme.lower()
    looks_local = allow_local_files and (
        scheme == "file" or await asyncio.to_thread(Path(video_id).is_file)
    )
    if scheme in ("http", "https") or looks_local:
        data = await fetch(
            video_id,
            field="video_id",
            max_bytes=settings.video_max_bytes,
            timeout_seconds=settings.fetch_timeout_seconds,
            allow_private=settings.private_allowance(),
            allow_local_files=allow_local_files,
        )
        return VideoSource(await _video_input(data, None))
    return VideoSource(VideoInput(provider_video_id=video_id))


async def _video_input(data: bytes, provider_video_id: str | None) -> VideoInput:
    """The video to extend, once its bytes proved a whole, playable MP4, MOV or WebM."""
    mime = sniff_video_type(data)
    if mime is None:
        raise ValidationError(
            "video_id does not lead to an MP4, MOV or WebM video", field="video_id"
        )
    try:
        slots = decode_slots(run_settings().media_checks)
        await asyncio.to_thread(inspect_video, data, mime, slots=slots)
    except UnplayableVideo as exc:
        raise ValidationError(
            f"video_id does not lead to a playable video: {exc}", field="video_id"
        ) from None
    return VideoInput(provider_video_id=provider_video_id, data=data, mime_type=mime)


def _unknown(video_id: str) -> NotFoundError:
    return NotFoundError(f"no video {video_id}", field="video_id")


def _unfinished(video_id: str) -> ValidationError:
    return ValidationError(
        f"job {video_id} has not finished; extend it once it has", field="video_id"
    )


async def source_job(
    video_id: str, customer_id: str, records: JobRecords | None = None
) -> dict[str, Any] | None:
    """The ``data`` of the finished job of ``customer_id`` that ``video_id`` names (a job id),
    or None when ``video_id`` is a provider video id no other customer's job made.
    NotFoundError for a job id that is unknown or another customer's, or a provider video id
    another customer's job made; ValidationError for a job that has not finished. ``records``:
    the API's admission records, which know jobs whose runs are not created yet."""
    if not is_job_id(video_id):
        await _check_provider_video(video_id, customer_id)
        return None
    record = await records.get(video_id) if records is not None else None
    if record is not None and record.deleted:
        raise _unknown(video_id)
    if record is not None and record.flow_run_id is None:
        if record.customer_id != customer_id:
            raise _unknown(video_id)
        raise _unfinished(video_id)
    async with get_client() as client:
        run = await find_job_run(client, video_id, records)
    if run is None:
        raise _unknown(video_id)
    if customer_of_request(run.parameters.get("request")) != customer_id:
        raise _unknown(video_id)
    if run.state is None or not run.state.is_completed():
        raise _unfinished(video_id)
    envelope = await run.state.aresult(raise_on_failure=False)
    if not isinstance(envelope, dict) or "data" not in envelope:
        raise ValidationError(f"job {video_id} holds no stored video", field="video_id")
    data: dict[str, Any] = envelope["data"]
    return data


async def _check_provider_video(video_id: str, customer_id: str) -> str | None:
    """NotFoundError when reelgate jobs made this provider video for other customers only;
    else the model that made it, when a job of ``customer_id`` did."""
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[video_tag(video_id)])),
            limit=20,
        )
    owned = [
        run for run in runs if customer_of_request(run.parameters.get("request")) == customer_id
    ]
    if runs and not owned:
        raise _unknown(video_id)
    tags = (tag for run in owned for tag in run.tags)
    return next((tag[len(MODEL_TAG) :] for tag in tags if tag.startswith(MODEL_TAG)), None)


async def source_model(request: ExtendRequest, records: JobRecords | None = None) -> str | None:
    """The model that made the video ``request`` continues, when reelgate made it: a job's
    (``data.model``), or the model of the customer's job that made a provider video id;
    None for a video reelgate did not make. Raises as :func:`source_job` does."""
    if not is_job_id(request.video_id):
        return await _check_provider_video(request.video_id, request.customer_id)
    data = await source_job(request.video_id, request.customer_id, records)
    model = data.get("model") if data is not None else None
    return model if isinstance(model, str) else None


def customer_of_request(request: Any) -> str | None:
    """The customer of a flow run's ``request`` parameter (a request model or its JSON)."""
    if isinstance(request, GenerateRequest):
        return request.customer_id
    customer = request.get("customer_id") if isinstance(request, dict) else None
    return customer if isinstance(customer, str) else None


async def stored_video_bytes(result: dict[str, Any], settings: Settings | None = None) -> bytes:
    """The bytes of the first video of a job result's ``data`` (file, data URI or S3)."""
    settings = settings or run_settings()
    url: str = result["video_url"]
    if url.startswith("data:"):
        return DataUriStorage(settings.data_uri_max_bytes).open(url)
    if url.startswith("file://"):
        return await asyncio.to_thread(Path(unquote(urlsplit(url).path)).read_bytes)
    if result.get("storage_key"):
        storage = storage_from_url(settings.storage_url, settings)
        return await asyncio.to_thread(storage.open, result["storage_key"])
    raise ValidationError(f"the stored video {url} cannot be read back", field="video_id")


async def _stored_video(earlier: dict[str, Any], settings: Settings) -> VideoInput:
    data = await stored_video_bytes(earlier, settings)
    return await _video_input(data, earlier["provider_video_id"])
