"""``VideoGenerationService``: the one object application code and agent tool executors receive
to make videos, whichever side runs the jobs.

Two backends keep the same contract (:class:`~reelgate_api.service.reports.ServiceBackend`):
:class:`~reelgate_api.service.in_process.InProcessBackend` runs the flows in this process;
:class:`~reelgate_api.service.remote.RemoteBackend` talks to a reelgate server over its HTTP
API. Either way a failure is raised as the core error the server would have answered with (a
400 is a :class:`~reelgate.errors.ValidationError` on both sides), and a finished job's answer
is the seed's :class:`~reelgate.envelope.SuccessEnvelope`.

A service may be shared by every task of one event loop; :meth:`VideoGenerationService.start`
runs once, on first use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError

from reelgate.envelope import SuccessEnvelope
from reelgate.errors import (
    JobCancelledError,
    JobTimeoutError,
    ReelgateError,
    ValidationError,
    error_from_body,
)
from reelgate.requests import ExtendRequest, GenerateRequest, problems_of, request_from_body
from reelgate.storyboards import StoryboardRequest
from reelgate_api.service.reports import JobReport, JobState, ServiceBackend


class VideoJob:
    """A submitted job: ask its status, wait for its video, follow its progress
    (``async for status in job``) or cancel it."""

    def __init__(self, service: VideoGenerationService, job_id: str) -> None:
        self.service = service
        self.job_id = job_id

    def __repr__(self) -> str:
        return f"VideoJob({self.job_id!r})"

    async def status(self) -> JobReport:
        return await (await self.service.backend()).status(self.job_id)

    async def wait(self, timeout: float | None = None) -> SuccessEnvelope:  # noqa: ASYNC109
        """The job's answer once it ended. Raises its core error when it failed,
        :class:`~reelgate.errors.JobCancelledError` when it was cancelled, and
        :class:`~reelgate.errors.JobTimeoutError` when ``timeout`` seconds passed first (the
        job goes on; wait again or cancel it)."""
        try:
            async with asyncio.timeout(timeout), aclosing(self._changes()) as statuses:
                async for status in statuses:
                    if status.ended:
                        return envelope_of(status)
        except TimeoutError as exc:
            raise JobTimeoutError(
                f"job {self.job_id} has not ended after {timeout:g} s; it goes on: wait for it "
                "again or cancel it",
                job_id=self.job_id,
            ) from exc
        raise ReelgateError(f"job {self.job_id} stopped reporting before it ended")

    def __aiter__(self) -> AsyncGenerator[JobReport]:
        return self._changes()

    async def _changes(self) -> AsyncGenerator[JobReport]:
        backend = await self.service.backend()
        async with aclosing(backend.changes(self.job_id)) as statuses:
            async for status in statuses:
                yield status

    async def cancel(self) -> JobState:
        return await (await self.service.backend()).cancel(self.job_id)


def envelope_of(status: JobReport) -> SuccessEnvelope:
    """The answer of an ended job, or the core error it ended with."""
    if status.status == "succeeded" and status.result is not None:
        return status.result
    if status.status == "cancelled":
        raise JobCancelledError(f"job {status.job_id} was cancelled", job_id=status.job_id)
    error = status.error or {"type": "internal_error", "message": "the job failed"}
    raise error_from_body(0, {**error, "job_id": status.job_id})


class VideoGenerationService:
    """Makes videos: :meth:`generate` and :meth:`extend` take the seed's request fields and
    return the seed's response; :meth:`submit` returns a :class:`VideoJob` at once.

    Build it with :meth:`in_process`, :meth:`remote`, or :meth:`from_settings` (remote when
    ``REELGATE_SERVICE_URL`` is set, else in-process), or around any :class:`ServiceBackend`.
    """

    def __init__(self, backend: ServiceBackend) -> None:
        self._backend = backend
        self._started: asyncio.Task[None] | None = None

    @classmethod
    def in_process(cls, **settings: Any) -> VideoGenerationService:
        """Jobs run as flows in this process (on the embedded Prefect API unless
        ``PREFECT_API_URL`` is set); ``settings`` override ``ApiSettings`` fields."""
        from reelgate_api.service.in_process import InProcessBackend
        from reelgate_api.settings import ApiSettings

        return cls(InProcessBackend(ApiSettings(**settings) if settings else None))

    @classmethod
    def remote(
        cls, url: str, api_key: str | None = None, *, timeout_seconds: float = 60.0
    ) -> VideoGenerationService:
        """Jobs run on the reelgate server at ``url``, called with ``api_key``."""
        from reelgate_api.service.remote import RemoteBackend

        return cls(RemoteBackend(url, api_key, timeout_seconds=timeout_seconds))

    @classmethod
    def from_settings(cls) -> VideoGenerationService:
        """Remote when ``REELGATE_SERVICE_URL`` is set (with ``REELGATE_API_KEY``), else
        in-process."""
        from reelgate_api.settings import ApiSettings

        settings = ApiSettings.current()
        if settings.service_url:
            return cls.remote(settings.service_url, settings.api_key)
        return cls.in_process()

    async def backend(self) -> ServiceBackend:
        """The backend, started once (concurrent first calls share one start)."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._backend.start())
        await asyncio.shield(self._started)
        return self._backend

    async def close(self) -> None:
        if self._started is not None:
            await self._backend.close()
            self._started = None

    async def __aenter__(self) -> VideoGenerationService:
        await self.backend()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the seed's operations -------------------------------------------------------------

    async def generate(
        self,
        request: GenerateRequest | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (seconds; the job goes on after it)
        **fields: Any,
    ) -> SuccessEnvelope:
        """Text-to-video (image-to-video with ``input_image_url``) and wait for the answer.
        ``request`` is a request or its JSON body; or give its fields as keywords
        (``prompt=..., customer_id=..., settings={"video": {...}}``)."""
        job = await self.submit(request, idempotency_key=idempotency_key, kind="generate", **fields)
        return await job.wait(timeout)

    async def extend(
        self,
        request: ExtendRequest | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (seconds; the job goes on after it)
        **fields: Any,
    ) -> SuccessEnvelope:
        """Extend the video of ``video_id`` (a job id or a provider video id) and wait."""
        job = await self.submit(request, idempotency_key=idempotency_key, kind="extend", **fields)
        return await job.wait(timeout)

    async def submit(
        self,
        request: GenerateRequest | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        kind: Literal["generate", "extend"] | None = None,
        **fields: Any,
    ) -> VideoJob:
        """Start a job and return its handle at once. ``kind`` None: an extension when the
        request has a ``video_id``. The same ``idempotency_key`` with the same request returns
        the same job (ConflictError with another request)."""
        parsed = as_request(request, fields, kind)
        job_id = await (await self.backend()).submit(parsed, idempotency_key)
        return VideoJob(self, job_id)

    def job(self, job_id: str) -> VideoJob:
        """The handle of an existing job (NotFoundError from its calls when there is none)."""
        return VideoJob(self, job_id)

    async def models(self) -> dict[str, Any]:
        """Every installed model with its capabilities and whether it is configured."""
        return await (await self.backend()).models()

    async def submit_storyboard(
        self,
        storyboard: StoryboardRequest | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> VideoJob:
        """Start a storyboard (one video from its shots) and return its job's handle at once;
        the same ``idempotency_key`` resumes it."""
        parsed = storyboard_of(storyboard)
        job_id = await (await self.backend()).submit(parsed, idempotency_key)
        return VideoJob(self, job_id)


def storyboard_of(storyboard: StoryboardRequest | Mapping[str, Any]) -> StoryboardRequest:
    """The storyboard model of ``storyboard``; a ValidationError naming what is wrong."""
    if isinstance(storyboard, StoryboardRequest):
        return storyboard
    try:
        return StoryboardRequest.model_validate(dict(storyboard))
    except PydanticValidationError as exc:
        problems = problems_of(exc)
        raise ValidationError(
            f"invalid storyboard: {'; '.join(problems)}", problems=problems
        ) from None


def as_request(
    request: GenerateRequest | Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    kind: Literal["generate", "extend"] | None,
) -> GenerateRequest:
    """The request model of ``request`` or of ``fields``, checked as the HTTP API checks a
    body (a ValidationError names the field)."""
    if isinstance(request, GenerateRequest):
        if fields:
            raise TypeError("give a request or its fields, not both")
        if kind == "extend" and not isinstance(request, ExtendRequest):
            raise TypeError("extend takes an ExtendRequest")
        return request
    if request is not None and fields:
        raise TypeError("give a request or its fields, not both")
    body = dict(request if request is not None else fields)
    extend = None if kind is None else kind == "extend"
    return request_from_body(body, extend=extend)


__all__ = [
    "VideoGenerationService",
    "VideoJob",
    "envelope_of",
]
