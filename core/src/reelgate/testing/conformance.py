"""The provider conformance suite. A plugin proves it honours the contract by subclassing
:class:`ProviderConformance` in its tests (the class name must start with ``Test``)::

    class TestMyProvider(ProviderConformance):
        model = "my-model"
        video_settings = {"duration_seconds": 4, "aspect_ratio": "16:9"}
        rejected_prompt = "a prompt my provider's safety filter refuses"

        @pytest.fixture
        def runtime(self) -> Runtime:
            return build_runtime(environ={...settings, "REELGATE_PLUGINS": "my-plugin"})

Tests run through :class:`reelgate.runtime.Runtime`, exactly as the flows call plugins:
submit → poll → download for every declared job kind, refusals of undeclared kinds and
settings before any call, typed errors, a ProviderJob that survives JSON serialisation, cancel, and
(given ``refused_credentials``) credentials refused as a 400 that never shows the secret.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, ClassVar

import pytest

from reelgate.errors import (
    CapabilityNotSupportedError,
    ContentRejectedError,
    ProviderNotConfiguredError,
    ReelgateError,
    ValidationError,
)
from reelgate.jobs import Cancelled, Failed, JobKind, JobStatus, ProviderJob, Succeeded, VideoRef
from reelgate.media import ImageInput, VideoInput
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import Runtime
from reelgate.testing.media import make_png

MP4_SIGNATURE_OFFSET = 4


class ProviderConformance:
    """Base of a plugin's conformance tests; see the module docstring."""

    model: ClassVar[str]
    video_settings: ClassVar[dict[str, Any]] = {}
    rejected_prompt: ClassVar[str | None] = None
    poll_timeout_seconds: ClassVar[float] = 120.0
    customer_id: ClassVar[str] = "conformance"

    @pytest.fixture
    def runtime(self) -> Runtime:
        """Override: a Runtime with the plugin loaded and configured."""
        pytest.fail("ProviderConformance subclasses must override the `runtime` fixture")

    @pytest.fixture
    def refused_credentials(self) -> tuple[Runtime, str] | None:
        """Override: a Runtime whose credentials the provider refuses, and the secret in them
        (None skips the credential test)."""
        return None

    # helpers -------------------------------------------------------------------------

    def request(self, prompt: str = "a paper boat on a pond", **video: Any) -> GenerateRequest:
        return GenerateRequest.model_validate(
            {
                "prompt": prompt,
                "customer_id": self.customer_id,
                "settings": {"video": {"model": self.model, **self.video_settings, **video}},
            }
        )

    def extend_request(self, video_id: str, **video: Any) -> ExtendRequest:
        return ExtendRequest.model_validate(
            {
                "prompt": "the camera keeps moving",
                "customer_id": self.customer_id,
                "video_id": video_id,
                "settings": {"video": {"model": self.model, **self.video_settings, **video}},
            }
        )

    async def _finish(self, runtime: Runtime, job: ProviderJob) -> JobStatus:
        ctx = runtime.context(job.provider)
        deadline = time.monotonic() + self.poll_timeout_seconds
        while True:
            status = await runtime.poll(job, ctx)
            if isinstance(status, Succeeded | Failed | Cancelled):
                return status
            assert time.monotonic() < deadline, f"job {job.provider_job_id} never finished"
            await asyncio.sleep(getattr(status, "poll_after_seconds", None) or 0.2)

    async def _download(self, runtime: Runtime, job: ProviderJob, ref: VideoRef) -> bytes:
        ctx = runtime.context(job.provider)
        chunks = [chunk async for chunk in runtime.download(job, ref, ctx)]
        assert all(isinstance(chunk, bytes) for chunk in chunks)
        return b"".join(chunks)

    async def _generate(
        self,
        runtime: Runtime,
        request: GenerateRequest,
        image: ImageInput | None = None,
        video: VideoInput | None = None,
    ) -> tuple[ProviderJob, list[VideoRef], bytes]:
        entry = runtime.resolve(request.video.model)
        job = await runtime.submit(
            request, runtime.context(entry.spec.provider.name), image=image, video=video
        )
        # A job must survive serialisation: flows persist it and poll from another process.
        job = ProviderJob.model_validate_json(job.model_dump_json())
        status = await self._finish(runtime, job)
        assert isinstance(status, Succeeded), f"job ended {status!r}"
        data = await self._download(runtime, job, status.videos[0])
        assert data[MP4_SIGNATURE_OFFSET : MP4_SIGNATURE_OFFSET + 4] == b"ftyp", "not an MP4"
        return job, list(status.videos), data

    def _kinds(self, runtime: Runtime) -> frozenset[JobKind]:
        return runtime.resolve(self.model).spec.capabilities.kinds

    # the suite -----------------------------------------------------------------------

    def test_model_is_declared_and_resolves(self, runtime: Runtime) -> None:
        entry = runtime.resolve(self.model)
        assert entry.spec.provider.name
        assert runtime.registry.provider_status(entry.spec.provider.name).configured

    def test_text_to_video_submit_poll_download(self, runtime: Runtime) -> None:
        if JobKind.TEXT not in self._kinds(runtime):
            pytest.skip("model does not declare text-to-video")
        job, refs, _ = asyncio.run(self._generate(runtime, self.request()))
        assert job.kind is JobKind.TEXT
        assert refs[0].provider_video_id

    def test_image_to_video(self, runtime: Runtime) -> None:
        if JobKind.IMAGE not in self._kinds(runtime):
            pytest.skip("model does not declare image-to-video")
        image = ImageInput(data=make_png(160, 90), mime_type="image/png")
        job, _, _ = asyncio.run(self._generate(runtime, self.request(), image=image))
        assert job.kind is JobKind.IMAGE

    def test_extend(self, runtime: Runtime) -> None:
        if JobKind.EXTEND not in self._kinds(runtime):
            pytest.skip("model does not declare extension")

        async def scenario() -> ProviderJob:
            _, refs, data = await self._generate(runtime, self.request())
            ref = refs[0]
            video = VideoInput(provider_video_id=ref.provider_video_id, data=data, uri=ref.uri)
            job, _, _ = await self._generate(
                runtime, self.extend_request(ref.provider_video_id), video=video
            )
            return job

        assert asyncio.run(scenario()).kind is JobKind.EXTEND

    def test_undeclared_kinds_are_refused_before_any_call(self, runtime: Runtime) -> None:
        missing = set(JobKind) - self._kinds(runtime)
        if not missing:
            pytest.skip("model declares every job kind")
        ctx = runtime.context(runtime.resolve(self.model).spec.provider.name)
        for kind in missing:
            image = ImageInput(data=make_png(), mime_type="image/png")
            video = VideoInput(provider_video_id="any")
            request = self.extend_request("any") if kind is JobKind.EXTEND else self.request()
            with pytest.raises(CapabilityNotSupportedError) as caught:
                asyncio.run(
                    runtime.submit(
                        request,
                        ctx,
                        image=image if kind is JobKind.IMAGE else None,
                        video=video if kind is JobKind.EXTEND else None,
                    )
                )
            assert caught.value.status == 501

    def test_unsupported_settings_are_refused_with_400(self, runtime: Runtime) -> None:
        ctx = runtime.context(runtime.resolve(self.model).spec.provider.name)
        for bad in ({"aspect_ratio": "7:3"}, {"duration_seconds": 599}, {"number_of_videos": 16}):
            with pytest.raises(ValidationError) as caught:
                asyncio.run(runtime.submit(self.request(**bad), ctx))
            assert caught.value.status == 400

    def test_errors_are_typed(self, runtime: Runtime) -> None:
        entry = runtime.resolve(self.model)
        ghost = ProviderJob(
            provider=entry.spec.provider.name,
            model=entry.spec.id,
            provider_model=entry.spec.provider_model,
            provider_job_id="reelgate-conformance-missing-job",
            kind=JobKind.TEXT,
        )
        try:
            status = asyncio.run(self._finish(runtime, ghost))
        except ReelgateError:
            pass
        else:
            assert isinstance(status, Failed), f"a job that does not exist ended {status!r}"
        if self.rejected_prompt is None:
            return
        try:
            _job, _, _ = asyncio.run(self._generate(runtime, self.request(self.rejected_prompt)))
        except ContentRejectedError as exc:
            assert exc.status == 400
        except AssertionError as exc:
            assert "ContentRejectedError" in str(exc), exc
        else:
            pytest.fail("the rejected prompt produced a video")

    def test_refused_credentials_are_a_400_that_never_shows_the_secret(
        self, refused_credentials: tuple[Runtime, str] | None, caplog: pytest.LogCaptureFixture
    ) -> None:
        if refused_credentials is None:
            pytest.skip("no refused credentials given")
        runtime, secret = refused_credentials
        provider = runtime.resolve(self.model).spec.provider.name
        caplog.set_level(logging.DEBUG)
        with pytest.raises(ProviderNotConfiguredError) as caught:
            asyncio.run(runtime.submit(self.request(), runtime.context(provider)))
        error = caught.value
        assert error.status == 400
        shown = (
            str(error),
            repr(error),
            str(error.to_error_body()),
            repr(runtime.context(provider)),
            repr(runtime.registry.provider_settings(provider)),
            caplog.text,
        )
        for text in shown:
            assert secret not in text

    def test_cancel(self, runtime: Runtime) -> None:
        entry = runtime.resolve(self.model)
        ctx = runtime.context(entry.spec.provider.name)

        async def scenario() -> JobStatus:
            job = await runtime.submit(self.request(), ctx)
            await runtime.cancel(job, ctx)
            return await self._finish(runtime, job)

        if not entry.spec.capabilities.cancel:
            with pytest.raises(CapabilityNotSupportedError):
                asyncio.run(
                    runtime.cancel(
                        ProviderJob(
                            provider=entry.spec.provider.name,
                            model=entry.spec.id,
                            provider_model=entry.spec.provider_model,
                            provider_job_id="x",
                            kind=JobKind.TEXT,
                        ),
                        ctx,
                    )
                )
            return
        assert isinstance(asyncio.run(scenario()), Cancelled)
