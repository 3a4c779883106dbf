"""The seed's response envelope, kept exactly.

Success: ``{"success": true, "code": 200, "data": {"video_url", "provider", "model",
"duration", "settings", "job_id", "provider_video_id", ...}}``. Failure: ``{"success": false,
"code": N, "error": {"type", "message", ...}}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelgate.errors import ReelgateError
from reelgate.pricing import Cost


class SpriteGrid(BaseModel):
    """How a sprite sheet maps time to tiles: tile ``i`` (row ``i // columns``, column
    ``i % columns``, each ``tile_width`` x ``tile_height`` px) shows the video at
    ``i * interval_seconds``, until the next tile's time."""

    model_config = ConfigDict(frozen=True)

    columns: int
    rows: int
    tile_width: int
    tile_height: int
    count: int
    interval_seconds: float


class Previews(BaseModel):
    """Images of a stored video, stored beside it (same storage, same signing; data URIs when
    the video is one): a poster at the video's size (the frame at its middle), a thumbnail
    about 320 px wide of the same frame, and a sprite sheet (:class:`SpriteGrid`)."""

    model_config = ConfigDict(frozen=True)

    poster_url: str | None = None
    thumbnail_url: str | None = None
    spritesheet_url: str | None = None
    spritesheet: SpriteGrid | None = None


class _StoredVideoFields(BaseModel):
    video_url: str
    provider_video_id: str
    storage_key: str | None = None
    size_bytes: int
    duration: float | None = None
    width: int | None = None
    height: int | None = None


class StoredVideo(Previews, _StoredVideoFields):
    """One stored video: its URL, what the provider said of it, and its previews (after the
    other fields)."""


class Fallback(BaseModel):
    """Which of a request's models served it, and each one tried before, with why it was
    passed over (its error ``type`` and message)."""

    model_config = ConfigDict(frozen=True)

    served_by: str
    tried: list[dict[str, str]] = Field(default_factory=list)


class _VideoResultFields(BaseModel):
    video_url: str
    provider: str
    model: str
    duration: float | None
    settings: dict[str, Any]
    job_id: str
    provider_video_id: str
    provider_job_id: str
    customer_id: str
    storage_key: str | None = None
    videos: list[StoredVideo] = Field(default_factory=list)
    fallback: Fallback | None = None
    """Set when the request had fallback models: which served it and which were tried."""
    cost: Cost | None = None
    """What the delivered videos cost (their seconds at the model's price); ``amount`` None
    when the model has no verified price."""
    shots: list[dict[str, Any]] | None = None
    """A storyboard's shots, in order: ``index``, ``job_id``, ``video_url``, ``storage_key``,
    ``model``, ``provider``, ``duration``, ``cost`` and ``seam_score`` (to the next shot,
    0-1)."""
    content_credentials: dict[str, Any] | None = None
    """With signing configured: ``{"signed": true, "standard": "c2pa"}``, or ``"signed":
    false`` and the ``error`` that left the videos stored unsigned; None when not signed."""
    warnings: list[dict[str, Any]] | None = None
    """What the caller should act on though the job succeeded: ``{"type": "model_deprecated",
    "message", "model", "deprecated_on", "retires_on", "successor"}`` (:mod:`reelgate.lifecycle`);
    None when there is nothing."""


class VideoResult(Previews, _VideoResultFields):
    """``data`` of a success envelope. ``video_url``/``provider_video_id`` and the previews
    (after the other fields) are the first video's; ``videos`` lists every video when
    ``number_of_videos`` > 1."""


class SuccessEnvelope(BaseModel):
    success: Literal[True] = True
    code: Literal[200] = 200
    data: VideoResult


class ErrorEnvelope(BaseModel):
    success: Literal[False] = False
    code: int
    error: dict[str, Any]

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorEnvelope:
        """Map any exception to the envelope; non-reelgate errors leak no internals."""
        if isinstance(exc, ReelgateError):
            return cls(code=exc.status, error=exc.to_error_body())
        return cls(code=500, error={"type": "internal_error", "message": "internal error"})
