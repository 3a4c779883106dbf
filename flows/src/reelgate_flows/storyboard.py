"""The ``generate-storyboard`` flow: a storyboard's shots as child ``generate-video`` /
``extend-video`` runs (subflows under the storyboard's run in the Prefect UI), then one joined,
checked video.

Under ``cut`` the shots run at once (within the providers' limits); under ``last_frame`` and
``extend`` one after the other, each from the shot before. A re-run under the same
``idempotency_key`` reuses every finished shot and resumes from the first unfinished one
(:mod:`reelgate_flows.storyboard_plan`). The joined video is checked (its length is the sum of
the shots' within one frame per seam, and it decodes through every seam), stored at the usual
key with its previews, and the envelope lists the shots (``data.shots``).
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from pathlib import Path
from typing import Any

from prefect import flow, tags

from reelgate.errors import ReelgateError
from reelgate.pricing import Cost
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.storyboards import StoryboardRequest
from reelgate_flows.admission import PLAN_HOLDS
from reelgate_flows.backfill import earlier_success
from reelgate_flows.flows import _job_id, extend_video, generate_video
from reelgate_flows.idempotency import body_tag, key_tag
from reelgate_flows.job_spans import plan_span
from reelgate_flows.progress import PART_OF, Part, ProgressEvent, emit
from reelgate_flows.settings import pinned_run_settings
from reelgate_flows.sources import stored_video_bytes
from reelgate_flows.storyboard_join import join_and_store
from reelgate_flows.storyboard_plan import admit_plan, settle_shot, shot_key


async def _run_shot(
    request: GenerateRequest, key: str, job_id: str, index: int, count: int
) -> dict[str, Any]:
    """Shot ``index`` as a child run (or its earlier success): its envelope's ``data``."""
    earlier = await earlier_success(key)
    if earlier is not None:
        return dict(earlier["data"])
    emit(ProgressEvent(job_id, "shot", index / count, f"shot {index + 1} of {count}"))
    child = extend_video if isinstance(request, ExtendRequest) else generate_video
    part = PART_OF.set(Part(job_id, index, count))  # the shot's steps are the plan's too
    try:
        with tags(key_tag(key), body_tag(request)):
            state = await child(request, key, return_state=True)
    finally:
        PART_OF.reset(part)
    if not state.is_completed():
        error = await state.aresult(raise_on_failure=False)
        if isinstance(error, ReelgateError):
            error.message = f"shot {index + 1} of {count} failed: {error.message}"
            error.details["shot"] = index + 1
            raise error
        raise ReelgateError(f"shot {index + 1} of {count} failed: {state.message}")
    return dict((await state.aresult())["data"])


async def _last_frame(data: dict[str, Any]) -> str:
    """The last frame of a finished shot, as a data: URI (the next shot's first frame)."""
    from reelgate_flows import joining  # PyAV and numpy: imported by the storyboards that join

    video = await stored_video_bytes(data)
    with tempfile.TemporaryDirectory(prefix="reelgate-frame-") as folder:
        path = Path(folder) / "shot.mp4"
        await asyncio.to_thread(path.write_bytes, video)
        jpeg = await asyncio.to_thread(joining.last_frame_jpeg, path)
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


async def _shots(
    request: StoryboardRequest, scope: str, job_id: str, due: list[Cost]
) -> list[dict[str, Any]]:
    """Every shot's envelope ``data``, in order."""
    count = len(request.shots)
    keys = [shot_key(request, scope, index) for index in range(count)]
    if request.continuity == "cut":
        alone = [request.shot_request(index) for index in range(count)]
        made = await asyncio.gather(
            *(_run_shot(alone[i], keys[i], job_id, i, count) for i in range(count))
        )
        return list(made)
    shots: list[dict[str, Any]] = []
    for index in range(count):
        previous = shots[-1] if shots else None
        frame = None
        if previous is not None and request.continuity == "last_frame":
            frame = await _last_frame(previous)
        source = previous["job_id"] if previous is not None else None
        asked = request.shot_request(index, source, frame)
        shots.append(await _run_shot(asked, keys[index], job_id, index, count))
        await settle_shot(job_id, [Cost.model_validate(s["cost"]) for s in shots], due)
    return shots


async def _finished(request: StoryboardRequest, scope: str) -> set[int]:
    """The shots a run under the same key finished already."""
    found = await asyncio.gather(
        *(earlier_success(shot_key(request, scope, i)) for i in range(len(request.shots)))
    )
    return {index for index, earlier in enumerate(found) if earlier is not None}


@flow(name="generate-storyboard", persist_result=True, validate_parameters=True, log_prints=False)
async def generate_storyboard(
    request: StoryboardRequest, idempotency_key: str | None = None
) -> dict[str, Any]:
    """One video from ``request``'s shots (see the module docstring).

    ``idempotency_key``: a re-run with the same key and storyboard reuses its finished shots.
    """
    with pinned_run_settings():
        job_id = _job_id()[0]
        async with plan_span(request.customer_id, len(request.shots), job_id):
            return await _plan(request, idempotency_key, job_id)


async def _plan(
    request: StoryboardRequest, idempotency_key: str | None, job_id: str
) -> dict[str, Any]:
    """The storyboard's shots (those not finished under its key), joined."""
    scope = idempotency_key or f"run:{job_id}"
    due = await admit_plan(request, job_id, await _finished(request, scope))
    holding = PLAN_HOLDS.set(job_id)
    try:
        shots = await _shots(request, scope, job_id, due)
    finally:
        PLAN_HOLDS.reset(holding)
    emit(ProgressEvent(job_id, "join", None, f"joining {len(shots)} shots"))
    envelope = await join_and_store(request, job_id, shots)
    await settle_shot(job_id, [Cost.model_validate(s["cost"]) for s in shots], due)
    return envelope
