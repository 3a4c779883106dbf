"""What a provider accepted, the job the core builds from it, and the statuses a poll returns.

A plugin's submit hook returns a :class:`Submission`: only what the plugin owns (the
provider's job id and opaque state). The core wraps it in a :class:`ProviderJob` carrying the
provider, model and kind from the plugin's own :class:`~reelgate.specs.ModelSpec`, so routing
of ``poll``, ``download`` and ``cancel`` can never disagree with the plugin's declaration.
A ProviderJob is plain, serialisable data: it routes those calls back to the plugin that
created it, in this process or any other, after a crash. (An API "job" is a flow run; a
ProviderJob is the provider's side of it.)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
)

import reelgate.errors as errors


class JobKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    EXTEND = "extend"


class Submission(BaseModel):
    """What a submit hook returns once the provider accepted the job: ``provider_job_id`` is the
    provider's own id; ``state`` is opaque, plugin-owned data the plugin needs to poll or
    download later (kept JSON-able)."""

    model_config = ConfigDict(frozen=True)

    provider_job_id: str = Field(min_length=1)
    state: dict[str, JsonValue] = Field(default_factory=dict)


class ProviderJob(BaseModel):
    """A job a provider accepted, as the core records it: ``provider`` and ``provider_model``
    come from the serving plugin's ModelSpec, ``model`` is reelgate's model id."""

    model_config = ConfigDict(frozen=True)

    provider: str
    model: str
    provider_model: str
    provider_job_id: str
    kind: JobKind
    state: dict[str, JsonValue] = Field(default_factory=dict)


Job = ProviderJob
"""The former name of :class:`ProviderJob`, kept so persisted results of earlier runs load."""


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


def _error_class(value: Any) -> type[errors.ReelgateError]:
    if isinstance(value, str):
        value = errors.ERROR_CLASSES.get(value)
    if isinstance(value, type) and issubclass(value, errors.ReelgateError):
        return value
    raise ValueError(f"not a reelgate error class: {value!r}")


ErrorClass = Annotated[
    type[errors.ReelgateError],
    BeforeValidator(_error_class),
    PlainSerializer(lambda cls: cls.__name__, return_type=str),
]
"""A core error class; serialised as its name in :mod:`reelgate.errors`."""


class JobError(BaseModel):
    """A typed failure of a provider job: ``error_class`` is the core error it stands for
    (e.g. ``ContentRejectedError``; serialised by name)."""

    model_config = ConfigDict(frozen=True)

    error_class: ErrorClass = errors.ProviderError
    message: str
    provider_code: str | None = None
    billed: bool | None = None
    """Whether the provider bills this failure, as the plugin knows it from the provider's
    terms (e.g. Seedance bills only successful tasks); None when it does not know: the job's
    error then says ``billed: "unknown"``, never a guess."""

    def to_exception(self, job: ProviderJob) -> errors.ReelgateError:
        """The core error to raise for ``job`` having failed this way."""
        return self.error_class(
            f"{job.provider} job {job.provider_job_id} failed: {self.message}",
            provider=job.provider,
            provider_code=self.provider_code,
            provider_job_id=job.provider_job_id,
            billed=self.billed,
        )


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
