"""The Sora plugin through the real openai SDK against the emulator: request mapping, poll
hints and timeout, every fault mode, and never a second paid video."""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Callable

import pytest
from PIL import Image
from reelgate_sora.images import fit_image
from sora_emulator import SoraEmulator

from reelgate import ImageInput, Succeeded
from reelgate.errors import (
    ContentRejectedError,
    JobTimeoutError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    SubmissionNotAcceptedError,
    ValidationError,
)
from reelgate.jobs import Failed, Running
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import make_png, make_request
from reelgate.testing import poll_until_done as finish
from reelgate.testing import submit_now as submit
from reelgate.testing.emulator import Fault

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


request = functools.partial(
    make_request, customer_id="c1", model="sora", duration_seconds=8, aspect_ratio="16:9"
)


def test_text_request_mapping(sora: SoraEmulator, sora_runtime: Runtime) -> None:
    job = submit(sora_runtime, request())
    assert sora.uploads[-1] == {
        "prompt": "a paper boat on a pond",
        "model": "sora-2",
        "seconds": "8",
        "size": "1280x720",
    }
    assert (job.provider, job.model, job.provider_model) == ("openai", "sora-2", "sora-2")
    status = finish(sora_runtime, job)
    assert isinstance(status, Succeeded) and status.videos[0].duration_seconds == 8.0


def test_pro_1080p_and_a_pinned_upstream_model(
    sora: SoraEmulator, sora_settings: Callable[..., dict[str, str]]
) -> None:
    runtime = build_runtime(environ=sora_settings(REELGATE_SORA_MODEL="sora-2-2025-12-08"))
    submit(runtime, request(model="sora-2-pro", resolution="1080p", aspect_ratio="9:16"))
    assert sora.uploads[-1]["size"] == "1080x1920" and sora.uploads[-1]["model"] == "sora-2-pro"
    submit(runtime, request(model="sora-1"))
    assert sora.uploads[-1]["model"] == "sora-2-2025-12-08"


def test_an_image_is_fitted_to_the_exact_size(sora: SoraEmulator, sora_runtime: Runtime) -> None:
    square = make_png(300, 300, (0, 200, 0))
    job = submit(sora_runtime, request(), image=ImageInput(data=square, mime_type="image/png"))
    assert sora.uploads[-1]["input_reference"] == "reference.png"
    assert isinstance(finish(sora_runtime, job), Succeeded)
    with Image.open(io.BytesIO(fit_image(square, "1280x720"))) as fitted:
        assert fitted.size == (1280, 720)
        assert fitted.getpixel((10, 360)) == (0, 0, 0) and fitted.getpixel((640, 360))[1] > 150


def test_extend_remixes_a_finished_video(sora: SoraEmulator, sora_runtime: Runtime) -> None:
    from reelgate import VideoInput
    from reelgate.requests import ExtendRequest

    first = submit(sora_runtime, request())
    finish(sora_runtime, first)
    extend = ExtendRequest.model_validate(
        {
            "prompt": "now at night",
            "customer_id": "c1",
            "video_id": first.provider_job_id,
            "settings": {"video": {"model": "sora", "duration_seconds": 8, "aspect_ratio": "16:9"}},
        }
    )
    job = asyncio.run(
        sora_runtime.submit(
            extend,
            sora_runtime.context("openai"),
            video=VideoInput(provider_video_id=first.provider_job_id),
        )
    )
    assert sora.videos[job.provider_job_id].remixed_from == first.provider_job_id
    assert isinstance(finish(sora_runtime, job), Succeeded)


def test_poll_hints_follow_the_header_with_a_floor(
    sora: SoraEmulator, sora_runtime: Runtime
) -> None:
    job = submit(sora_runtime, request("a [never] ending"))
    status = asyncio.run(sora_runtime.poll(job, sora_runtime.context("openai")))
    assert isinstance(status, Running) and status.poll_after_seconds == 0.1
    sora.poll_after_ms = 750
    status = asyncio.run(sora_runtime.poll(job, sora_runtime.context("openai")))
    assert status.poll_after_seconds == 0.75


def test_a_video_running_past_the_poll_timeout_fails(
    sora: SoraEmulator, sora_settings: Callable[..., dict[str, str]]
) -> None:
    runtime = build_runtime(environ=sora_settings(REELGATE_SORA_POLL_TIMEOUT_SECONDS="0"))
    status = finish(runtime, submit(runtime, request("a [never] ending")))
    assert isinstance(status, Failed) and status.error.error_class is JobTimeoutError


def test_a_rate_limit_is_safe_to_resubmit_and_not_retried_by_the_sdk(
    sora: SoraEmulator, sora_runtime: Runtime
) -> None:
    sora.faults.add(
        "create",
        Fault(
            "status",
            429,
            {
                "error": {
                    "message": "Rate limit reached",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            },
            {"retry-after-ms": "1500"},
        ),
    )
    with pytest.raises(RateLimitedError) as caught:
        submit(sora_runtime, request())
    assert caught.value.safe_to_resubmit and caught.value.details["retry_after"] == 1.5
    assert sora.requests.count(("create", "")) == 1 and sora.submissions == 0


@pytest.mark.parametrize(
    ("fault", "adopted"),
    [
        (
            Fault(
                "status",
                500,
                {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}},
            ),
            False,
        ),
        (Fault("reset"), False),
        (Fault("malformed"), False),
        (Fault("reset_after"), True),
    ],
)
def test_unclear_create_failures_are_adopted_or_proven_absent(
    sora: SoraEmulator, sora_runtime: Runtime, fault: Fault, adopted: bool
) -> None:
    """The list of videos settles an unclear create: its video adopted, or none made (safe to
    submit again)."""
    sora.faults.add("create", fault)
    if adopted:
        job = submit(sora_runtime, request())
        assert job.provider_job_id in sora.videos
    else:
        with pytest.raises(SubmissionNotAcceptedError, match="no matching video appeared"):
            submit(sora_runtime, request())
    assert sora.requests.count(("create", "")) == 1
    assert sora.requests.count(("list", "")) >= 1
    assert sora.submissions == (1 if adopted else 0)


def test_two_candidate_videos_prove_nothing(sora: SoraEmulator, sora_runtime: Runtime) -> None:
    """Another matching video made just before: which one is ours is unknown, so the unclear
    error stands (never adopted, never resubmitted)."""
    submit(sora_runtime, request())
    sora.faults.add("create", Fault("reset_after"))
    with pytest.raises(ProviderUnavailableError) as caught:
        submit(sora_runtime, request())
    assert not caught.value.safe_to_resubmit
    assert sora.submissions == 2


def test_a_slow_create_still_succeeds(sora: SoraEmulator, sora_runtime: Runtime) -> None:
    sora.faults.add("create", Fault("slow", delay=0.3))
    submit(sora_runtime, request())
    assert sora.submissions == 1


def test_content_and_validation_refusals(sora: SoraEmulator, sora_runtime: Runtime) -> None:
    with pytest.raises(ContentRejectedError):
        submit(sora_runtime, request("something forbidden"))
    with pytest.raises(ValidationError, match="size"):
        submit(sora_runtime, request(provider_options={"size": "999x999"}))
    assert sora.submissions == 0


def test_model_not_found_explains_the_retirement(
    sora: SoraEmulator, sora_settings: Callable[..., dict[str, str]]
) -> None:
    runtime = build_runtime(environ=sora_settings(REELGATE_SORA_MODEL="sora-9"))
    with pytest.raises(ProviderError) as caught:
        submit(runtime, request())
    assert "2026-09-24" in caught.value.message and caught.value.status == 502


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [("a [risky] scene", "ContentRejectedError"), ("a [fail] scene", "ProviderError")],
)
def test_failed_videos_are_typed(
    sora: SoraEmulator, sora_runtime: Runtime, prompt: str, error_type: str
) -> None:
    status = finish(sora_runtime, submit(sora_runtime, request(prompt)))
    assert isinstance(status, Failed) and status.error.error_class.__name__ == error_type


def test_transient_poll_and_download_failures_are_retried_by_the_sdk(
    sora: SoraEmulator, sora_runtime: Runtime
) -> None:
    job = submit(sora_runtime, request())
    server_error = {
        "error": {"message": "busy", "type": "server_error", "param": None, "code": None}
    }
    sora.faults.add("retrieve", Fault("status", 503, server_error, {"retry-after-ms": "10"}))
    status = finish(sora_runtime, job)
    assert isinstance(status, Succeeded)
    sora.faults.add("content", Fault("status", 502, server_error, {"retry-after-ms": "10"}))
    ctx = sora_runtime.context("openai")

    async def download() -> bytes:
        return b"".join([c async for c in sora_runtime.download(job, status.videos[0], ctx)])

    assert asyncio.run(download())[4:8] == b"ftyp"
