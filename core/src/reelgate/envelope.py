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


class StoredVideo(BaseModel):
    """One stored video: its URL and what the provider said of it."""

    model_config = ConfigDict(frozen=True)

    video_url: str
    provider_video_id: str
    storage_key: str | None = None
    size_bytes: int
    duration: float | None = None
    width: int | None = None
    height: int | None = None


class Fallback(BaseModel):
    """Which of a request's models served it, and each one tried before, with why it was
    passed over (its error ``type`` and message)."""

    model_config = ConfigDict(frozen=True)

    served_by: str
    tried: list[dict[str, str]] = Field(default_factory=list)


class VideoResult(BaseModel):
    """``data`` of a success envelope. ``video_url``/``provider_video_id`` are the first video's;
    ``videos`` lists every video when ``number_of_videos`` > 1."""

    model_config = ConfigDict(frozen=True)

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
