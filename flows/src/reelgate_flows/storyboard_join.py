"""A storyboard's shots joined into one video (:mod:`reelgate_flows.joining`), checked and stored
like any delivered video (with its previews), and its envelope: the joined video, what it cost
(the sum of its shots), and ``data.shots`` (each shot's video, model, cost and seam score)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelgate.envelope import SuccessEnvelope, VideoResult
from reelgate.errors import ReelgateError
from reelgate.pricing import Cost
from reelgate.storyboards import StoryboardRequest
from reelgate_flows import delivery_steps
from reelgate_flows.inline_videos import kept_small
from reelgate_flows.media_check import UnplayableVideo, VideoFacts, decode_slots, inspect_video
from reelgate_flows.previews import PreviewMaker, SpriteSpec, decode_through
from reelgate_flows.settings import Settings, run_settings
from reelgate_flows.sources import stored_video_bytes
from reelgate_flows.spool import Spool
from reelgate_flows.storyboard_plan import total

if TYPE_CHECKING:
    from reelgate_flows import joining


def _check(
    path: Path, spooled: Path, shots: list[joining.ShotMedia], settings: Settings
) -> VideoFacts:
    """The joined file's facts: it must last the sum of its shots within one frame per seam
    and decode through every seam (the whole video is decoded: with previews, theirs are made
    for ``spooled``)."""
    frame = 1 / float(shots[0].rate)
    expected = sum(shot.seconds for shot in shots)
    tolerance = (len(shots) - 1) * frame + frame / 2
    maker = PreviewMaker(spooled, delivery_steps.sprite_spec(settings) or _NO_SPRITES)
    try:
        return inspect_video(
            path,
            "video/mp4",
            expected,
            tolerance,
            decode_slots(settings.media_checks),
            decode_through(maker),
        )
    except UnplayableVideo as exc:
        raise ReelgateError(f"the joined storyboard does not play: {exc}") from None


_NO_SPRITES = SpriteSpec(tiles=1, columns=1)


async def join_and_store(
    request: StoryboardRequest, job_id: str, shots: list[dict[str, Any]]
) -> dict[str, Any]:
    """Join ``shots`` (their envelopes' ``data``), check, store; the storyboard's envelope."""
    from reelgate_flows import joining  # PyAV and numpy: imported by the storyboards that join

    settings = run_settings()
    spooled = Spool(settings.spool_dir).path("storyboard", job_id, "joined")
    await asyncio.to_thread(spooled.parent.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reelgate-shots-", dir=spooled.parent) as folder:
        paths = [Path(folder) / f"shot-{index}.mp4" for index in range(len(shots))]
        for path, data in zip(paths, shots, strict=True):
            video = await stored_video_bytes(data, settings)
            await asyncio.to_thread(path.write_bytes, video)
        joined = Path(folder) / "joined.mp4"
        method = await asyncio.to_thread(joining.join, paths, joined)
        scores = await asyncio.to_thread(joining.seam_scores, paths)
        media = [await asyncio.to_thread(joining.probe, path) for path in paths]
        facts = await asyncio.to_thread(_check, joined, spooled, media, settings)
        await asyncio.to_thread(os.replace, joined, spooled)
    stored = await delivery_steps.store(str(spooled), request.customer_id, request.save_to_db)
    listed = [
        {
            "index": index + 1,
            "job_id": data["job_id"],
            "video_url": data["video_url"],
            "storage_key": data.get("storage_key"),
            "model": data["model"],
            "provider": data["provider"],
            "duration": data.get("duration"),
            "cost": data.get("cost"),
            "seam_score": scores[index] if index < len(scores) else None,
        }
        for index, data in enumerate(shots)
    ]
    costs = [Cost.model_validate(data["cost"]) for data in shots]
    result = VideoResult(
        video_url=stored.url,
        provider=_one_or_mixed(data["provider"] for data in shots),
        model=_one_or_mixed(data["model"] for data in shots),
        duration=round(facts.duration_seconds, 3),
        settings={"title": request.title, "continuity": request.continuity, "join": method},
        job_id=job_id,
        provider_video_id=job_id,
        provider_job_id=job_id,
        customer_id=request.customer_id,
        storage_key=stored.key,
        cost=total(costs),
        shots=listed,
        **(stored.previews or {}),
    )
    return kept_small(SuccessEnvelope(data=result).model_dump(mode="json"))


def _one_or_mixed(values: Any) -> str:
    distinct = sorted(set(values))
    return distinct[0] if len(distinct) == 1 else "mixed"
