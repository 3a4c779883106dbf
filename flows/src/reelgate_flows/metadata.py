"""The seed's success envelope of a finished job (DESIGN §4): the last step of a generation,
a plain function (as a Prefect task it cost two API calls per run and bought nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelgate.envelope import Fallback, Previews, StoredVideo, SuccessEnvelope, VideoResult
from reelgate.jobs import ProviderJob, VideoRef
from reelgate.pricing import Cost, Price
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate_flows.inline_videos import kept_small
from reelgate_flows.storage import StoredObject


def cost_of_delivery(
    request: GenerateRequest,
    job: ProviderJob,
    videos: list[VideoRef],
    prices: Mapping[str, Price | None] | None = None,
) -> Cost:
    """What ``videos`` cost: each one's length as the provider reported it, else as asked (an
    extension: as its model bills extensions, ``Capabilities.extension_billing``), at the
    ``prices`` the job's admission pinned when given."""
    delivered = [ref.duration_seconds or float(request.video.duration_seconds) for ref in videos]
    return get_runtime().cost_of_videos(job.model, request, delivered, job.kind, prices)


def metadata(
    request: GenerateRequest,
    job: ProviderJob,
    job_id: str,
    videos: list[VideoRef],
    stored: list[StoredObject],
    fallback: Fallback | None = None,
    prices: Mapping[str, Price | None] | None = None,
    content_credentials: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The success envelope of ``job`` (flow run ``job_id``) whose ``videos`` are ``stored``
    (persisted small: :func:`~reelgate_flows.inline_videos.kept_small`)."""
    items = [
        StoredVideo(
            video_url=obj.url,
            provider_video_id=ref.provider_video_id,
            storage_key=obj.key,
            size_bytes=obj.size_bytes,
            duration=ref.duration_seconds,
            width=ref.width,
            height=ref.height,
            **(obj.previews or {}),
        )
        for ref, obj in zip(videos, stored, strict=True)
    ]
    settings = request.video.model_dump(mode="json")
    settings["model"] = job.model
    if isinstance(request, ExtendRequest):
        settings["extended_video_id"] = request.video_id
    first = items[0]
    result = VideoResult(
        video_url=first.video_url,
        provider=job.provider,
        model=job.model,
        duration=first.duration,
        settings=settings,
        job_id=job_id,
        provider_video_id=first.provider_video_id,
        provider_job_id=job.provider_job_id,
        customer_id=request.customer_id,
        storage_key=first.storage_key,
        videos=items if len(items) > 1 else [],
        cost=cost_of_delivery(request, job, videos, prices),
        fallback=fallback,
        content_credentials=content_credentials,
        warnings=get_runtime().deprecation_warnings(job.model) or None,
        **first.model_dump(include=set(Previews.model_fields)),
    )
    return kept_small(SuccessEnvelope(data=result).model_dump(mode="json"))
