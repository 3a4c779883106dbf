"""Seedance: faults at create and at download, scripted with the kit: a fault the task list
proves safe ends with exactly one paid create; no broken video is taken for a whole one."""

from __future__ import annotations

import asyncio

import pytest
from seedance_emulator import SeedanceEmulator

from reelgate.errors import (
    ContentRejectedError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
)
from reelgate.jobs import Cancelled, Failed, Succeeded
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import download_now, poll_until_done, submit_now
from reelgate.testing.emulator import Fault

REQUEST = GenerateRequest.model_validate(
    {
        "prompt": "A red fox running through snow",
        "customer_id": "c-1",
        "settings": {"video": {"model": "dreamina-seedance-2-0-260128", "duration_seconds": 5}},
    }
)


def finished_video(runtime: Runtime, job: object) -> bytes:
    status = poll_until_done(runtime, job)  # type: ignore[arg-type]
    assert isinstance(status, Succeeded), status
    return download_now(runtime, job, status.videos[0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fault",
    [Fault("reset_after"), Fault("slow_after", delay=3.0)],
    ids=["reset-after-billing", "slow-answer"],
)
def test_a_lost_answer_is_adopted_from_the_task_list(
    fault: Fault, seedance: SeedanceEmulator, seedance_runtime: Runtime
) -> None:
    seedance.faults.add("create", fault)
    runtime = build_runtime(
        environ=seedance.environ(REELGATE_PLUGINS="seedance", REELGATE_SEEDANCE_TIMEOUT_SECONDS="1")
    )
    job = submit_now(runtime, REQUEST, submission_id="sub-1")
    assert seedance.submissions == 1, "adopted, not created again"
    assert finished_video(runtime, job)[4:8] == b"ftyp"


INTERNAL = {"error": {"code": "InternalServiceError", "message": "boom"}}
BUSY = {"error": {"code": "ServiceUnavailable", "message": "busy"}}
THROTTLED = {"error": {"code": "RateLimitExceeded.EndpointRPMExceeded", "message": "slow"}}


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("status", 500, INTERNAL), SubmissionNotAcceptedError),
        (Fault("status", 503, BUSY), SubmissionNotAcceptedError),
        (Fault("reset"), SubmissionNotAcceptedError),
        (Fault("malformed"), SubmissionNotAcceptedError),
        (Fault("status", 429, THROTTLED, {"retry-after": "2"}), RateLimitedError),
    ],
    ids=["500", "503", "reset-before-handling", "malformed-answer", "429"],
)
def test_a_refused_or_failed_create_proves_nothing_was_made(
    fault: Fault,
    expected: type[ReelgateError],
    seedance: SeedanceEmulator,
    seedance_runtime: Runtime,
) -> None:
    seedance.faults.add("create", fault)
    with pytest.raises(expected) as caught:
        submit_now(seedance_runtime, REQUEST, submission_id="sub-2")
    assert caught.value.safe_to_resubmit and seedance.submissions == 0
    job = submit_now(seedance_runtime, REQUEST, submission_id="sub-2")  # what the flow does next
    assert seedance.submissions == 1 and finished_video(seedance_runtime, job)[4:8] == b"ftyp"


def test_two_matching_tasks_are_never_adopted_nor_resubmitted(
    seedance: SeedanceEmulator, seedance_runtime: Runtime
) -> None:
    submit_now(seedance_runtime, REQUEST, submission_id="sub-4")
    seedance.faults.add("create", Fault("reset_after"))
    with pytest.raises(ProviderUnavailableError) as caught:
        submit_now(seedance_runtime, REQUEST, submission_id="sub-4")
    assert not caught.value.safe_to_resubmit and seedance.submissions == 2


def test_moderation_at_create_and_on_the_output_is_content_rejected(
    seedance: SeedanceEmulator, seedance_runtime: Runtime
) -> None:
    refused = REQUEST.model_copy(update={"prompt": "something forbidden"})
    with pytest.raises(ContentRejectedError) as caught:
        submit_now(seedance_runtime, refused)
    assert caught.value.details["provider_code"] == "InputTextSensitiveContentDetected"
    assert seedance.submissions == 0
    unsafe = REQUEST.model_copy(update={"prompt": "a fox [unsafe-output]"})
    status = poll_until_done(seedance_runtime, submit_now(seedance_runtime, unsafe))
    assert isinstance(status, Failed) and status.error.error_class is ContentRejectedError
    assert status.error.provider_code == "OutputVideoSensitiveContentDetected"


def test_an_expired_task_fails_and_an_expired_url_is_read_again(
    seedance: SeedanceEmulator, seedance_runtime: Runtime
) -> None:
    late = REQUEST.model_copy(update={"prompt": "a fox [expire]"})
    status = poll_until_done(seedance_runtime, submit_now(seedance_runtime, late))
    assert isinstance(status, Failed) and status.error.provider_code == "expired"
    assert "expire" in status.error.message
    seedance.url_ttl_seconds = -1  # the URL the task hands out has expired by the download
    job = submit_now(seedance_runtime, REQUEST)
    done = poll_until_done(seedance_runtime, job)
    assert isinstance(done, Succeeded)
    seedance.url_ttl_seconds = 600
    assert download_now(seedance_runtime, job, done.videos[0])[4:8] == b"ftyp"


@pytest.mark.parametrize("fault", [Fault("truncated"), Fault("status", 500, b"<Error/>")])
def test_a_broken_download_is_an_error_never_a_video(
    fault: Fault, seedance: SeedanceEmulator, seedance_runtime: Runtime
) -> None:
    job = submit_now(seedance_runtime, REQUEST)
    status = poll_until_done(seedance_runtime, job)
    assert isinstance(status, Succeeded)
    seedance.faults.add("download", fault)
    try:
        video = download_now(seedance_runtime, job, status.videos[0])
    except ReelgateError as exc:
        assert exc.retryable
    else:
        assert len(video) < len(download_now(seedance_runtime, job, status.videos[0])), (
            "a cut answer is shorter: the core's media check refuses it"
        )


def test_cancel_while_pending(seedance: SeedanceEmulator, seedance_runtime: Runtime) -> None:
    job = submit_now(seedance_runtime, REQUEST)
    asyncio.run(seedance_runtime.cancel(job, seedance_runtime.context("seedance")))
    assert isinstance(poll_until_done(seedance_runtime, job), Cancelled)
