"""Proof of acceptance for a Veo submission whose answer was lost (GCS output mode only).

Each submission writes under its own prefix (``plugin.output_prefix``). After an unclear
failure (reset, timeout, 5xx, an unreadable answer) the prefix is listed until
``REELGATE_VEO_RECONCILE_SECONDS`` (the longest a Veo generation takes) have passed:

- an object appears: the submission was accepted and that object is its video. The job is
  adopted as ``gs://…/<submission>/`` (the operation name is lost); polling it lists the prefix.
- nothing appears: Veo never accepted it, and the failure is marked safe to resubmit.
"""

from __future__ import annotations

from typing import Any

from reelgate import (
    JobStatus,
    ProviderContext,
    ProviderJob,
    Running,
    Submission,
    Succeeded,
    VideoRef,
)
from reelgate.errors import ProviderUnavailableError, ReelgateError, SubmissionNotAcceptedError
from reelgate.lookup import look_until
from reelgate_veo import gcs
from reelgate_veo.errors import PROVIDER

DEFAULT_RECONCILE_SECONDS = 600.0
"""Veo renders in one to six minutes; ten leaves a margin."""


async def by_output_prefix(
    prefix: str,
    expected_videos: int,
    state: dict[str, Any],
    error: ReelgateError,
    ctx: ProviderContext,
) -> Submission:
    """The submission an unclear ``error`` stood for, found under ``prefix``; raises
    SubmissionNotAcceptedError when nothing appeared in time."""
    window = float(ctx.setting("reconcile_seconds") or DEFAULT_RECONCILE_SECONDS)
    ctx.logger.info("Veo submission unclear (%s): watching %s for %g s", error, prefix, window)

    async def look() -> list[str] | None:
        try:
            return await gcs.list_objects(prefix, ctx) or None
        except ProviderUnavailableError:
            return None

    found = await look_until(look, window)
    if found is None:
        raise SubmissionNotAcceptedError(
            f"{error.message}; nothing appeared under {prefix} within {window:g} s, so "
            "Veo did not accept it and it is submitted again",
            **{**error.details, "provider": PROVIDER},
        ) from error
    ctx.logger.info("reconciled Veo submission: %d object(s) under %s", len(found), prefix)
    return Submission(
        provider_job_id=prefix,
        state={**state, "output_prefix": prefix, "samples": expected_videos},
    )


def is_adopted(job: ProviderJob) -> bool:
    """Whether ``job`` was found by its output prefix (it has no operation name)."""
    return "output_prefix" in job.state


async def poll_adopted(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    """An adopted job is done once all its videos are under its prefix."""
    prefix = str(job.state["output_prefix"])
    found = [uri for uri in await gcs.list_objects(prefix, ctx) if uri.endswith(".mp4")]
    samples = job.state.get("samples")
    if not found or (isinstance(samples, int) and len(found) < samples):
        return Running()
    duration = job.state.get("duration_seconds")
    return Succeeded(
        videos=[
            VideoRef(
                provider_video_id=uri,
                uri=uri,
                duration_seconds=float(duration) if isinstance(duration, int | float) else None,
            )
            for uri in found
        ]
    )
