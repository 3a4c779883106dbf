"""Faults at create, poll, cancel and download, scripted with the kit. Runway cannot prove a
lost create either way, so: a refusal (429, 4xx, a connection never made) and a 503 (load
shedding, documented as safe to resend) may be sent again; every other unclear fault ends in
one final error, never sent again, with at most the one paid create; no broken video is ever
taken for a whole one, and no finished task is ever deleted."""

from __future__ import annotations

import asyncio
import socket

import pytest
from reelgate_runway import plugin
from runway_emulator import RunwayEmulator

from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
    ValidationError,
)
from reelgate.jobs import Cancelled, Failed, Queued, Succeeded
from reelgate.media import ImageInput
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import download_now, make_png, poll_until_done, submit_now
from reelgate.testing.emulator import Fault

REQUEST = GenerateRequest.model_validate(
    {
        "prompt": "A red fox running through snow",
        "customer_id": "c-1",
        "settings": {"video": {"model": "gen4.5", "duration_seconds": 5, "aspect_ratio": "16:9"}},
    }
)


def finished_video(runtime: Runtime, job: object) -> bytes:
    status = poll_until_done(runtime, job)  # type: ignore[arg-type]
    assert isinstance(status, Succeeded), status
    return download_now(runtime, job, status.videos[0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fault", "paid"),
    [
        (Fault("status", 500, {"error": "internal"}), 0),
        (Fault("status", 502, "bad gateway"), 0),
        (Fault("status", 504, "timeout"), 0),
        (Fault("reset"), 0),
        (Fault("reset_after"), 1),
        (Fault("malformed"), 0),
        (Fault("slow_after", delay=3.0), 1),
    ],
    ids=["500", "502", "504", "reset-before-handling", "reset-after-billing", "malformed", "slow"],
)
def test_an_unclear_create_is_final_and_never_sent_again(
    fault: Fault, paid: int, runway: RunwayEmulator
) -> None:
    runway.faults.add("create", fault)
    runtime = build_runtime(
        environ=runway.environ(REELGATE_PLUGINS="runway", REELGATE_RUNWAY_TIMEOUT_SECONDS="1")
    )
    with pytest.raises(ProviderUnavailableError) as caught:
        submit_now(runtime, REQUEST, submission_id="sub-1")
    error = caught.value
    assert not error.safe_to_resubmit and error.details["retryable"] is False
    assert error.details["unclear_submission"] is True and error.details["submitted_at"]
    assert "not sent again" in error.message and "Runway developer portal" in error.message
    assert runway.submissions == paid


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        (Fault("status", 503, {"error": "shedding load"}), SubmissionNotAcceptedError),
        (Fault("status", 429, {"error": "slow down"}, {"retry-after": "1"}), RateLimitedError),
    ],
    ids=["503-load-shedding", "429"],
)
def test_a_refusal_is_safe_to_send_again(
    fault: Fault, error_class: type[ReelgateError], runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    runway.faults.add("create", fault)
    with pytest.raises(error_class) as caught:
        submit_now(runway_runtime, REQUEST)
    assert caught.value.safe_to_resubmit and runway.submissions == 0
    job = submit_now(runway_runtime, REQUEST)  # what the flow does next
    assert runway.submissions == 1 and finished_video(runway_runtime, job)[4:8] == b"ftyp"


def test_a_connection_never_made_proves_nothing_was_sent(runway: RunwayEmulator) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    runtime = build_runtime(
        environ=runway.environ(REELGATE_PLUGINS="runway", RUNWAYML_BASE_URL=closed)
    )
    with pytest.raises(SubmissionNotAcceptedError) as caught:
        submit_now(runtime, REQUEST)
    assert caught.value.safe_to_resubmit and runway.submissions == 0


def test_every_request_carries_the_api_version(
    runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    """The emulator refuses a request without ``X-Runway-Version: 2024-11-06`` (400)."""
    job = submit_now(runway_runtime, REQUEST)
    assert finished_video(runway_runtime, job)[4:8] == b"ftyp"
    asyncio.run(runway_runtime.cancel(job, runway_runtime.context("runway")))
    operations = {operation for operation, _ in runway.requests}
    assert {"create", "poll", "download"} <= operations


def test_shapes_runway_lacks_are_refused_before_any_call(
    runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    square = REQUEST.with_video(aspect_ratio="1:1")
    with pytest.raises(ValidationError) as caught:
        submit_now(runway_runtime, square)
    assert "only from a first frame" in caught.value.message
    image = ImageInput(data=make_png(96, 96), mime_type="image/png")
    job = asyncio.run(runway_runtime.submit(square, runway_runtime.context("runway"), image=image))
    assert finished_video(runway_runtime, job)[4:8] == b"ftyp"
    turbo = REQUEST.with_video(model="gen4_turbo", duration_seconds=10)
    with pytest.raises(ReelgateError):
        submit_now(runway_runtime, turbo)  # image-to-video only
    assert runway.submissions == 1
    assert runway.tasks[job.provider_job_id]["body"]["ratio"] == "960:960"


def test_throttled_is_queued_and_says_so(runway: RunwayEmulator) -> None:
    runway.throttled_polls = 2
    said: list[str] = []
    runtime = build_runtime(environ=runway.environ(REELGATE_PLUGINS="runway"))
    job = submit_now(runtime, REQUEST)
    ctx = runtime.context("runway", progress=lambda _fraction, message: said.append(message))
    first = asyncio.run(runtime.poll(job, ctx))
    assert isinstance(first, Queued) and "throttled" in said[0]
    assert finished_video(runtime, job)[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("prompt", "error_class", "code"),
    [
        ("something forbidden", ContentRejectedError, "SAFETY.INPUT.TEXT"),
        ("a fox [unsafe-output]", ContentRejectedError, "SAFETY.OUTPUT.VIDEO"),
        ("a fox [fail]", ProviderError, "INTERNAL.BAD_OUTPUT.CODE01"),
    ],
)
def test_task_failures_keep_runways_code(
    prompt: str,
    error_class: type[ReelgateError],
    code: str,
    runway: RunwayEmulator,
    runway_runtime: Runtime,
) -> None:
    job = submit_now(runway_runtime, REQUEST.model_copy(update={"prompt": prompt}))
    status = poll_until_done(runway_runtime, job)
    assert isinstance(status, Failed)
    assert status.error.error_class is error_class and status.error.provider_code == code


def test_an_unknown_status_is_counted_and_never_a_failure(
    runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    job = submit_now(runway_runtime, REQUEST)
    before = plugin.UNKNOWN_STATUSES["PAUSED"]
    runway.faults.add("poll", Fault("status", 200, {"id": job.provider_job_id, "status": "PAUSED"}))
    status = asyncio.run(runway_runtime.poll(job, runway_runtime.context("runway")))
    assert isinstance(status, Queued)
    assert plugin.UNKNOWN_STATUSES["PAUSED"] == before + 1
    assert finished_video(runway_runtime, job)[4:8] == b"ftyp"


def test_an_expired_output_url_is_read_again_from_the_task(
    runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    runway.url_ttl_seconds = -1.0  # every URL the poll answers has already expired
    job = submit_now(runway_runtime, REQUEST)
    status = poll_until_done(runway_runtime, job)
    assert isinstance(status, Succeeded)
    runway.url_ttl_seconds = 600.0
    assert download_now(runway_runtime, job, status.videos[0])[4:8] == b"ftyp"


@pytest.mark.parametrize("fault", [Fault("truncated"), Fault("status", 500, "error")])
def test_a_broken_download_is_an_error_never_a_video(
    fault: Fault, runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    job = submit_now(runway_runtime, REQUEST)
    status = poll_until_done(runway_runtime, job)
    assert isinstance(status, Succeeded)
    runway.faults.add("download", fault)
    try:
        video = download_now(runway_runtime, job, status.videos[0])
    except ReelgateError as exc:
        assert exc.retryable
    else:
        assert len(video) < len(download_now(runway_runtime, job, status.videos[0])), (
            "a cut answer is shorter: the core's media check refuses it"
        )


def test_cancel_stops_a_task_and_never_deletes_a_finished_one(
    runway: RunwayEmulator, runway_runtime: Runtime
) -> None:
    ctx = runway_runtime.context("runway")
    running = submit_now(runway_runtime, REQUEST)
    asyncio.run(runway_runtime.cancel(running, ctx))
    assert isinstance(poll_until_done(runway_runtime, running), Cancelled)
    done = submit_now(runway_runtime, REQUEST)
    status = poll_until_done(runway_runtime, done)
    assert isinstance(status, Succeeded)
    asyncio.run(runway_runtime.cancel(done, ctx))  # too late: the video is kept
    assert runway.deleted == []
    assert download_now(runway_runtime, done, status.videos[0])[4:8] == b"ftyp"
    spec = runway_runtime.resolve("gen4.5").spec
    assert spec.capabilities.cancel and spec.provider.lost_submission_proof is None
