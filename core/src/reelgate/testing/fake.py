"""An in-memory provider plugin for tests and benchmarks: scripted, counted, zero work.

Register it with ``reelgate.runtimes.build_runtime(extra_plugins=[("fake", FakeProvider())])``.
It serves ``spec`` (default: model ``fake``, pattern ``fake*``, every job kind, cancel).
``submissions`` counts accepted (paid) jobs. Scripts, each consumed in order:
``submit_errors`` are raised by submissions (before acceptance); ``poll_script`` statuses are
returned by polls before the job succeeds; ``poll_errors`` and ``download_errors`` are raised
by polls and downloads.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from reelgate.context import ProviderContext
from reelgate.errors import ContentRejectedError
from reelgate.hookspecs import hookimpl
from reelgate.jobs import (
    Cancelled,
    JobKind,
    JobStatus,
    ProviderJob,
    Running,
    Submission,
    Succeeded,
    VideoRef,
)
from reelgate.media import ImageInput, VideoInput
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.specs import Capabilities, ModelSpec, ProviderSpec, SettingSpec
from reelgate.testing.media import sample_mp4

FAKE_PROVIDER = ProviderSpec(
    name="fake",
    settings=(
        SettingSpec(name="token", env="REELGATE_FAKE_TOKEN", secret=True, default="fake-token"),
    ),
    configured_when=(("token",),),
)

FAKE_MODEL = ModelSpec(
    id="fake",
    provider=FAKE_PROVIDER,
    provider_model="fake-v1",
    aliases=("fake-model",),
    patterns=("fake*",),
    capabilities=Capabilities(
        kinds=frozenset(JobKind),
        durations=(1, 2, 3, 4, 5, 6, 7, 8),
        aspect_ratios=("16:9", "9:16", "1:1"),
        resolutions=("480p", "720p"),
        fps=(24,),
        audio=True,
        max_videos=4,
        cancel=True,
    ),
)


@dataclass(eq=False)
class FakeProvider:
    """See the module docstring. Thread-safe counters; one instance per test."""

    spec: ModelSpec = FAKE_MODEL
    submit_errors: list[Exception] = field(default_factory=list)
    poll_script: list[JobStatus] = field(default_factory=list)
    poll_errors: list[Exception] = field(default_factory=list)
    download_errors: list[Exception] = field(default_factory=list)
    rejected_words: tuple[str, ...] = ("forbidden",)
    video_bytes: bytes = field(default_factory=lambda: sample_mp4(1))
    submit_delay_seconds: float = 0.0
    submissions: int = 0
    polls: int = 0
    cancelled: set[str] = field(default_factory=set)
    submitted_jobs: list[Submission] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    """The first frames of image-to-video submissions, as received."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @hookimpl
    def reelgate_models(self) -> Sequence[ModelSpec]:
        return [self.spec]

    async def _accept(
        self, model: ModelSpec, request: GenerateRequest, kind: JobKind
    ) -> Submission:
        if self.submit_delay_seconds:
            await asyncio.sleep(self.submit_delay_seconds)
        with self._lock:
            if self.submit_errors:
                raise self.submit_errors.pop(0)
            if any(word in request.prompt.lower() for word in self.rejected_words):
                raise ContentRejectedError(
                    "the fake safety filter rejected the prompt",
                    provider="fake",
                    provider_code="rejected",
                )
            self.submissions += 1
            accepted = Submission(
                provider_job_id=uuid.uuid4().hex,
                state={"count": request.video.number_of_videos},
            )
            self.submitted_jobs.append(accepted)
            return accepted

    @hookimpl
    async def reelgate_generate(
        self, model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
    ) -> Submission:
        return await self._accept(model, request, JobKind.TEXT)

    @hookimpl
    async def reelgate_generate_from_image(
        self, model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
    ) -> Submission:
        submission = await self._accept(model, request, JobKind.IMAGE)
        self.images.append(image.data)
        return submission

    @hookimpl
    async def reelgate_extend(
        self, model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
    ) -> Submission:
        return await self._accept(model, request, JobKind.EXTEND)

    @hookimpl
    async def reelgate_poll(self, job: ProviderJob, ctx: ProviderContext) -> JobStatus:
        with self._lock:
            self.polls += 1
            if self.poll_errors:
                raise self.poll_errors.pop(0)
            if job.provider_job_id in self.cancelled:
                return Cancelled()
            if self.poll_script:
                return self.poll_script.pop(0)
        count = int(str(job.state.get("count", 1)))
        return Succeeded(
            videos=[
                VideoRef(
                    provider_video_id=f"{job.provider_job_id}-{i}",
                    duration_seconds=1.0,
                    width=640,
                    height=360,
                )
                for i in range(count)
            ]
        )

    @hookimpl
    async def reelgate_download(
        self, job: ProviderJob, video: VideoRef, ctx: ProviderContext
    ) -> AsyncIterator[bytes]:
        with self._lock:
            if self.download_errors:
                raise self.download_errors.pop(0)
        for start in range(0, len(self.video_bytes), 4096):
            yield self.video_bytes[start : start + 4096]

    @hookimpl
    async def reelgate_cancel(self, job: ProviderJob, ctx: ProviderContext) -> None:
        with self._lock:
            self.cancelled.add(job.provider_job_id)


__all__ = ["FAKE_MODEL", "FakeProvider", "Running"]
