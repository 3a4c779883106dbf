"""Faults scripted with the emulator kit: a paid job is never submitted twice."""

from __future__ import annotations

import pytest
from example_emulator import ExampleEmulator

from reelgate.errors import (
    ProviderUnavailableError,
    RateLimitedError,
    SubmissionNotAcceptedError,
)
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import download_now, poll_until_done, submit_now
from reelgate.testing.emulator import Fault

REQUEST = GenerateRequest.model_validate(
    {
        "prompt": "a windmill at dawn",
        "customer_id": "c-1",
        "settings": {"video": {"model": "example", "duration_seconds": 4, "aspect_ratio": "16:9"}},
    }
)


def test_a_lost_answer_is_recovered_by_the_same_submission_id(
    example: ExampleEmulator, example_runtime: Runtime
) -> None:
    example.faults.add("create", Fault("reset_after"))
    with pytest.raises(ProviderUnavailableError) as caught:
        submit_now(example_runtime, REQUEST, submission_id="sub-1")
    assert not caught.value.safe_to_resubmit and example.submissions == 1
    job = submit_now(example_runtime, REQUEST, submission_id="sub-1")  # a re-run
    assert example.submissions == 1
    status = poll_until_done(example_runtime, job)
    video = download_now(example_runtime, job, status.videos[0])  # type: ignore[union-attr]
    assert video[4:8] == b"ftyp"


def test_a_refused_connection_proves_nothing_was_sent(example: ExampleEmulator) -> None:
    closed = build_runtime(
        environ=example.environ(REELGATE_PLUGINS="example", EXAMPLE_BASE_URL="http://127.0.0.1:9")
    )
    with pytest.raises(SubmissionNotAcceptedError) as caught:
        submit_now(closed, REQUEST)
    assert caught.value.safe_to_resubmit and example.submissions == 0


def test_a_rate_limit_carries_retry_after_and_nothing_is_paid(
    example: ExampleEmulator, example_runtime: Runtime
) -> None:
    example.faults.add(
        "create",
        Fault("status", 429, {"error": {"message": "slow down"}}, {"retry-after": "3"}),
    )
    with pytest.raises(RateLimitedError) as caught:
        submit_now(example_runtime, REQUEST)
    assert caught.value.details["retry_after"] == 3.0 and example.submissions == 0


def test_a_poll_that_fails_once_is_a_retryable_error(
    example: ExampleEmulator, example_runtime: Runtime
) -> None:
    job = submit_now(example_runtime, REQUEST)
    example.faults.add("poll", Fault("status", 503, {"error": {"message": "busy"}}))
    with pytest.raises(ProviderUnavailableError) as caught:
        poll_until_done(example_runtime, job)
    assert caught.value.retryable
    assert poll_until_done(example_runtime, job).status == "succeeded"
