"""A submitted provider job and the statuses a poll returns.

A :class:`Job` is plain, serialisable data: everything needed to route ``poll``, ``download``
and ``cancel`` back to the plugin that created it, in this process or any other, after a crash.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class JobKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    EXTEND = "extend"


class Job(BaseModel):
    """A job the provider accepted. ``provider_job_id`` is the provider's own id; ``state`` is
    opaque, plugin-owned data the plugin needs to poll or download later (kept JSON-able)."""

    model_config = ConfigDict(frozen=True)

    provider: str
    model: str
    provider_model: str
    provider_job_id: str
    kind: JobKind
    state: dict[str, JsonValue] = Field(default_factory=dict)


class VideoRef(BaseModel):
    """One finished video at the provider: its id there, and where its bytes can be fetched."""

    model_config = ConfigDict(frozen=True)

    provider_video_id: str
    uri: str | None = None
    mime_type: str = "video/mp4"
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None


class JobError(BaseModel):
    """A typed failure: ``error_type`` names the core error class (see ``errors.py``)."""

    model_config = ConfigDict(frozen=True)

    error_type: str
    message: str
    provider_code: str | None = None
    retryable: bool = False


class Queued(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["queued"] = "queued"
    poll_after_seconds: float | None = None


class Running(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["running"] = "running"
    progress: float | None = Field(default=None, ge=0.0, le=1.0)
    poll_after_seconds: float | None = None


class Succeeded(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["succeeded"] = "succeeded"
    videos: list[VideoRef] = Field(min_length=1)


class Failed(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["failed"] = "failed"
    error: JobError


class Cancelled(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["cancelled"] = "cancelled"


JobStatus = Queued | Running | Succeeded | Failed | Cancelled
"""What ``reelgate_poll`` returns; ``poll_after_seconds`` is the provider's next-poll hint."""
