"""Faults at create and at download, scripted with the kit. MiniMax cannot prove a lost create
either way, so: a refusal (1002, 429, a connection never made) may be sent again; every unclear
fault ends in one final error, never sent again, with at most the one paid create; no broken
video is ever taken for a whole one."""

from __future__ import annotations

import asyncio
import socket

import pytest
from minimax_emulator import MinimaxEmulator

from reelgate.errors import (
    ContentRejectedError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
)
from reelgate.jobs import Failed, Succeeded
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import download_now, poll_until_done, submit_now
from reelgate.testing.emulator import Fault

REQUEST = GenerateRequest.model_validate(
    {
        "prompt": "A red fox running through snow",
        "customer_id": "c-1",
        "settings": {"video": {"model": "MiniMax-Hailuo-02", "duration_seconds": 6}},
    }
)


def finished_video(runtime: Runtime, job: object) -> bytes:
    status = poll_until_done(runtime, job)  # type: ignore[arg-type]
    assert isinstance(status, Succeeded), status
    return download_now(runtime, job, status.videos[0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fault", "paid"),
    [
        (Fault("status", 500, {"base_resp": {"status_code": 1000, "status_msg": "x"}}), 0),
        (Fault("status", 503, "busy"), 0),
        (Fault("reset"), 0),
        (Fault("reset_after"), 1),
        (Fault("malformed"), 0),
        (Fault("slow_after", delay=3.0), 1),
    ],
    ids=["500", "503", "reset-before-handling", "reset-after-billing", "malformed", "slow"],
)
def test_an_unclear_create_is_final_and_never_sent_again(
    fault: Fault, paid: int, minimax: MinimaxEmulator
) -> None:
    minimax.faults.add("create", fault)
    runtime = build_runtime(
        environ=minimax.environ(REELGATE_PLUGINS="minimax", REELGATE_MINIMAX_TIMEOUT_SECONDS="1")
    )
    with pytest.raises(ProviderUnavailableError) as caught:
        submit_now(runtime, REQUEST, submission_id="sub-1")
    error = caught.value
    assert not error.safe_to_resubmit and error.details["retryable"] is False
    assert error.details["unclear_submission"] is True
    assert "not sent again" in error.message and "MiniMax console" in error.message
    assert minimax.submissions == paid


def test_a_429_proves_nothing_was_made(minimax: MinimaxEmulator, minimax_runtime: Runtime) -> None:
    minimax.faults.add("create", Fault("status", 429, "too many", {"retry-after": "1"}))
    with pytest.raises(RateLimitedError) as caught:
        submit_now(minimax_runtime, REQUEST)
    assert caught.value.safe_to_resubmit and minimax.submissions == 0
    job = submit_now(minimax_runtime, REQUEST)  # what the flow does next
    assert minimax.submissions == 1 and finished_video(minimax_runtime, job)[4:8] == b"ftyp"


def test_a_connection_never_made_proves_nothing_was_sent(minimax: MinimaxEmulator) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    runtime = build_runtime(
        environ=minimax.environ(REELGATE_PLUGINS="minimax", MINIMAX_BASE_URL=closed)
    )
    with pytest.raises(SubmissionNotAcceptedError) as caught:
        submit_now(runtime, REQUEST)
    assert caught.value.safe_to_resubmit and minimax.submissions == 0


def test_errors_in_an_http_200_are_the_core_errors(
    minimax: MinimaxEmulator, minimax_runtime: Runtime
) -> None:
    minimax.rate_limited = 1
    with pytest.raises(RateLimitedError) as limited:
        submit_now(minimax_runtime, REQUEST)
    assert limited.value.details["provider_code"] == "1002"
    refused = REQUEST.model_copy(update={"prompt": "something forbidden"})
    with pytest.raises(ContentRejectedError):
        submit_now(minimax_runtime, refused)
    wrong = build_runtime(environ=minimax.environ(REELGATE_PLUGINS="minimax", MINIMAX_API_KEY="x"))
    with pytest.raises(ProviderNotConfiguredError):
        submit_now(wrong, REQUEST)
    assert minimax.submissions == 0


@pytest.mark.parametrize("fail_word", ["Fail", "Failed"])
def test_fail_and_failed_end_the_job_and_unknown_does_not(
    fail_word: str, minimax: MinimaxEmulator, minimax_runtime: Runtime
) -> None:
    minimax.fail_word, minimax.unknown_polls = fail_word, 2
    job = submit_now(minimax_runtime, REQUEST.model_copy(update={"prompt": "a fox [fail]"}))
    assert isinstance(poll_until_done(minimax_runtime, job), Failed)
    unsafe = submit_now(minimax_runtime, REQUEST.model_copy(update={"prompt": "x [unsafe-output]"}))
    status = poll_until_done(minimax_runtime, unsafe)
    assert isinstance(status, Failed) and status.error.error_class is ContentRejectedError
    fine = submit_now(minimax_runtime, REQUEST)
    assert finished_video(minimax_runtime, fine)[4:8] == b"ftyp", "Unknown is no failure"


def test_an_expired_download_url_is_retrieved_again(
    minimax: MinimaxEmulator, minimax_runtime: Runtime
) -> None:
    job = submit_now(minimax_runtime, REQUEST)
    status = poll_until_done(minimax_runtime, job)
    assert isinstance(status, Succeeded)
    minimax.faults.add("download", Fault("status", 403, "expired"))
    assert download_now(minimax_runtime, job, status.videos[0])[4:8] == b"ftyp"


@pytest.mark.parametrize("fault", [Fault("truncated"), Fault("status", 500, "error")])
def test_a_broken_download_is_an_error_never_a_video(
    fault: Fault, minimax: MinimaxEmulator, minimax_runtime: Runtime
) -> None:
    job = submit_now(minimax_runtime, REQUEST)
    status = poll_until_done(minimax_runtime, job)
    assert isinstance(status, Succeeded)
    minimax.faults.add("download", fault)
    try:
        video = download_now(minimax_runtime, job, status.videos[0])
    except ReelgateError as exc:
        assert exc.retryable
    else:
        assert len(video) < len(download_now(minimax_runtime, job, status.videos[0])), (
            "a cut answer is shorter: the core's media check refuses it"
        )


def test_there_is_no_cancel(minimax_runtime: Runtime) -> None:
    spec = minimax_runtime.resolve("MiniMax-Hailuo-02").spec
    assert not spec.capabilities.cancel
    assert spec.provider.lost_submission_proof is None and spec.provider.support
    job = submit_now(minimax_runtime, REQUEST)
    with pytest.raises(ReelgateError):
        asyncio.run(minimax_runtime.cancel(job, minimax_runtime.context("minimax")))
