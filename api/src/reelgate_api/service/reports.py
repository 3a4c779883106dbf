"""What the service tells of a job (:class:`JobReport`) and what runs its jobs
(:class:`ServiceBackend`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from reelgate.envelope import SuccessEnvelope
from reelgate.storyboards import JobRequest

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobReport(BaseModel):
    """Where a job is: its status, the step it is in and the provider's progress; once it
    succeeded, ``result``; once it failed, ``error`` (the error envelope's ``error``
    object)."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    status: JobState
    customer_id: str | None = None
    """Known in-process; from a server only once the job succeeded (its key scopes the rest)."""
    provider: str | None = None
    step: str | None = None
    progress: float | None = Field(default=None, ge=0.0, le=1.0)
    """The fraction of the provider's work done, from 0.0 to 1.0 (None: the provider tells
    none)."""
    retryable: bool | None = None
    result: SuccessEnvelope | None = None
    error: dict[str, Any] | None = None

    @property
    def ended(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


class ServiceBackend(Protocol):
    """What runs the jobs of a :class:`VideoGenerationService`."""

    async def start(self) -> None:
        """Make ready (called once, before the first call)."""

    async def close(self) -> None: ...

    async def submit(self, request: JobRequest, idempotency_key: str | None) -> str:
        """Check and start the job (once per key); its id. Raises the core error of a
        request that cannot run."""

    async def status(self, job_id: str) -> JobReport:
        """The job's status; NotFoundError when there is no such job."""

    def changes(self, job_id: str) -> AsyncGenerator[JobReport]:
        """The job's status now and after every change, ending with the one that ended it."""

    async def cancel(self, job_id: str) -> JobState:
        """Cancel the job; its new status. ConflictError once it ended."""

    async def models(self) -> dict[str, Any]:
        """What ``GET /video/models`` answers."""
