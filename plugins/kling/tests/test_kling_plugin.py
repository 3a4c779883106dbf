"""The KlingAI client and plugin against the emulator: auth, request mapping, every fault mode
ending in the right core error (or a success), and never a second paid task."""

from __future__ import annotations

import asyncio
import base64
import functools
from collections.abc import Callable

import jwt
import pytest
from kling_emulator import KlingEmulator
from reelgate_kling.client import TOKEN_REFRESH_MARGIN_SECONDS, KlingCredentials

from reelgate import ImageInput, Succeeded
from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
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

request = functools.partial(
    make_request, customer_id="c1", model="kling", duration_seconds=5, aspect_ratio="16:9"
)


def test_tokens_are_hs256_jwts_refreshed_before_expiry() -> None:
    credentials = KlingCredentials("ak-1", "s" * 32)
    first = credentials.token(now=1_000_000)
    claims = jwt.decode(
        first, "s" * 32, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims == {"iss": "ak-1", "exp": 1_001_800, "nbf": 999_995}
    assert jwt.get_unverified_header(first) == {"alg": "HS256", "typ": "JWT"}
    assert credentials.token(now=1_000_100) == first
    assert credentials.token(now=1_001_800 - TOKEN_REFRESH_MARGIN_SECONDS + 1) != first


def test_text_request_mapping(kling: KlingEmulator, kling_runtime: Runtime) -> None:
    job = submit(
        kling_runtime,
        request(resolution="1080p", generate_audio=True, negative_prompt="blur"),
        submission_id="sub-1",
    )
    body = kling.bodies[-1]
    assert body == {
        "model_name": "kling-v2-6",
        "prompt": "a paper boat on a pond",
        "duration": "5",
        "mode": "pro",
        "external_task_id": "sub-1",
        "negative_prompt": "blur",
        "sound": "on",
        "aspect_ratio": "16:9",
    }
    assert job.provider == "klingai" and job.model == "kling-v2-6"
    status = finish(kling_runtime, job)
    assert isinstance(status, Succeeded) and status.videos[0].duration_seconds == 5.0


def test_image_request_sends_raw_base64(kling: KlingEmulator, kling_runtime: Runtime) -> None:
    png = make_png(320, 320)
    submit(kling_runtime, request(), image=ImageInput(data=png, mime_type="image/png"))
    body = kling.bodies[-1]
    assert base64.b64decode(body["image"]) == png and "aspect_ratio" not in body


def test_bad_provider_options_are_refused_before_any_call(
    kling: KlingEmulator, kling_runtime: Runtime
) -> None:
    with pytest.raises(ValidationError, match=r"(?i)unknown klingai provider_options"):
        submit(kling_runtime, request(provider_options={"turbo": True}))
    assert kling.requests == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (
            Fault(
                "status",
                429,
                {"code": 1302, "message": "too fast", "request_id": "r"},
                {"Retry-After": "2"},
            ),
            RateLimitedError,
        ),
        (
            Fault(
                "status",
                429,
                {
                    "code": 1303,
                    "message": "parallel task over resource pack limit",
                    "request_id": "r",
                },
            ),
            RateLimitedError,
        ),
        (
            Fault("status", 400, {"code": 1301, "message": "risk", "request_id": "r"}),
            ContentRejectedError,
        ),
        (
            Fault("status", 400, {"code": 1201, "message": "bad duration", "request_id": "r"}),
            ValidationError,
        ),
    ],
)
def test_create_errors_become_core_errors(
    kling: KlingEmulator, kling_runtime: Runtime, fault: Fault, error: type[ReelgateError]
) -> None:
    kling.faults.add("create", fault)
    with pytest.raises(error) as caught:
        submit(kling_runtime, request())
    assert caught.value.details["provider_code"] == str(fault.body["code"])
    assert kling.submissions == 0


def test_rate_limits_carry_retry_after(kling: KlingEmulator, kling_runtime: Runtime) -> None:
    kling.faults.add(
        "create", Fault("status", 429, {"code": 1302, "message": "slow down"}, {"Retry-After": "3"})
    )
    with pytest.raises(RateLimitedError) as caught:
        submit(kling_runtime, request())
    assert caught.value.details["retry_after"] == 3.0 and caught.value.safe_to_resubmit


def test_a_5xx_with_no_task_behind_it_is_safe_to_resubmit(
    kling: KlingEmulator, kling_runtime: Runtime
) -> None:
    kling.faults.add("create", Fault("status", 503, {"code": 5001, "message": "maintenance"}))
    with pytest.raises(ProviderUnavailableError) as caught:
        submit(kling_runtime, request(), submission_id="s-5xx")
    assert caught.value.safe_to_resubmit and kling.submissions == 0
    job = submit(kling_runtime, request(), submission_id="s-5xx")
    assert kling.submissions == 1 and job.provider_job_id in kling.tasks


def test_a_reset_after_acceptance_is_reconciled_not_resubmitted(
    kling: KlingEmulator, kling_runtime: Runtime
) -> None:
    kling.faults.add("create", Fault("reset_after"))
    job = submit(kling_runtime, request(), submission_id="s-reset")
    assert kling.submissions == 1
    assert kling.tasks[job.provider_job_id].external_task_id == "s-reset"
    assert ("query", "text2video") in kling.requests


@pytest.mark.parametrize("kind", ["reset", "malformed"])
def test_an_unclear_create_failure_without_a_task_is_resubmitted_under_the_same_id(
    kling: KlingEmulator, kling_runtime: Runtime, kind: str
) -> None:
    """Kling keeps external_task_id unique per account, so once the lookup by it finds no
    task, submitting again with the same id cannot pay twice."""
    kling.faults.add("create", Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(SubmissionNotAcceptedError) as caught:
        submit(kling_runtime, request(), submission_id=f"s-{kind}")
    assert caught.value.safe_to_resubmit and kling.submissions == 0
    assert ("query", "text2video") in kling.requests
    job = submit(kling_runtime, request(), submission_id=f"s-{kind}")
    assert (
        kling.submissions == 1 and kling.tasks[job.provider_job_id].external_task_id == f"s-{kind}"
    )


def test_an_answer_slower_than_the_timeout_is_found_when_the_task_appears(
    kling: KlingEmulator, kling_settings: Callable[..., dict[str, str]]
) -> None:
    runtime = build_runtime(
        environ=kling_settings(
            REELGATE_KLING_SUBMIT_TIMEOUT_SECONDS="0.3", REELGATE_KLING_LATE_TASK_SECONDS="10"
        )
    )
    kling.faults.add("create", Fault("slow_after", delay=1.5))  # accepted, answered too late
    job = submit(runtime, request(), submission_id="s-late")
    assert kling.submissions == 1 and kling.tasks[job.provider_job_id].external_task_id == "s-late"


def test_a_rerun_of_an_accepted_submission_adopts_the_task(
    kling: KlingEmulator, kling_runtime: Runtime
) -> None:
    first = submit(kling_runtime, request(), submission_id="s-again")
    second = submit(kling_runtime, request(), submission_id="s-again")
    assert first.provider_job_id == second.provider_job_id and kling.submissions == 1


def test_a_slow_answer_still_succeeds(kling: KlingEmulator, kling_runtime: Runtime) -> None:
    kling.faults.add("create", Fault("slow", delay=0.3))
    submit(kling_runtime, request())
    assert kling.submissions == 1


@pytest.mark.parametrize(
    "fault",
    [Fault("status", 500, {"code": 5000, "message": "boom"}), Fault("malformed"), Fault("reset")],
)
def test_poll_failures_are_retryable(
    kling: KlingEmulator, kling_runtime: Runtime, fault: Fault
) -> None:
    job = submit(kling_runtime, request())
    kling.faults.add("query", fault)
    with pytest.raises(ProviderUnavailableError) as caught:
        asyncio.run(kling_runtime.poll(job, kling_runtime.context("klingai")))
    assert caught.value.retryable
    assert isinstance(finish(kling_runtime, job), Succeeded)


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [
        ("a [risky] scene", "ContentRejectedError"),
        ("a [fail] scene", "ProviderError"),
    ],
)
def test_failed_tasks_are_typed(
    kling: KlingEmulator, kling_runtime: Runtime, prompt: str, error_type: str
) -> None:
    status = finish(kling_runtime, submit(kling_runtime, request(prompt)))
    assert isinstance(status, Failed) and status.error.error_class.__name__ == error_type


def test_a_never_finishing_task_keeps_running(kling: KlingEmulator, kling_runtime: Runtime) -> None:
    status = finish(kling_runtime, submit(kling_runtime, request("a [never] ending")), polls=5)
    assert isinstance(status, Running)


def test_download_failures_are_core_errors(kling: KlingEmulator, kling_runtime: Runtime) -> None:
    job = submit(kling_runtime, request())
    status = finish(kling_runtime, job)
    kling.faults.add("download", Fault("status", 503, {"message": "cdn down"}))
    ctx = kling_runtime.context("klingai")

    async def download() -> bytes:
        return b"".join([c async for c in kling_runtime.download(job, status.videos[0], ctx)])

    with pytest.raises(ProviderUnavailableError):
        asyncio.run(download())
    assert asyncio.run(download())[4:8] == b"ftyp"


def test_missing_credentials_name_the_variables(kling: KlingEmulator) -> None:
    runtime = build_runtime(
        environ={"REELGATE_PLUGINS": "kling", "KLING_ACCESS_KEY": "only-the-access-key"}
    )
    with pytest.raises(ProviderNotConfiguredError, match="KLING_SECRET_KEY"):
        runtime.context("klingai")
    assert not runtime.registry.provider_status("klingai").configured


@pytest.mark.parametrize(
    ("status", "code", "error", "retryable"),
    [
        (401, 1000, ProviderNotConfiguredError, False),
        (401, 1001, ProviderNotConfiguredError, False),
        (401, 1002, ProviderNotConfiguredError, False),
        (401, 1003, ProviderNotConfiguredError, False),
        (401, 1004, ProviderNotConfiguredError, False),
        (429, 1100, ProviderError, False),
        (429, 1101, ProviderError, False),
        (429, 1102, ProviderError, False),
        (403, 1103, ProviderError, False),
        (400, 1200, ValidationError, False),
        (400, 1201, ValidationError, False),
        (404, 1202, ProviderError, False),
        (404, 1203, ProviderError, False),
        (400, 1300, ContentRejectedError, False),
        (400, 1301, ContentRejectedError, False),
        (429, 1302, RateLimitedError, True),
        (429, 1303, RateLimitedError, True),
        (429, 1304, ProviderError, False),
        (500, 5000, ProviderUnavailableError, True),
        (503, 5001, ProviderUnavailableError, True),
        (504, 5002, ProviderUnavailableError, True),
    ],
)
def test_every_documented_error_code_maps_to_its_core_error(
    status: int, code: int, error: type[ReelgateError], retryable: bool
) -> None:
    from reelgate_kling.errors import error_for

    mapped = error_for(status, code, "message", "req-1")
    assert type(mapped) is error and mapped.retryable is retryable
    assert mapped.details["provider_code"] == str(code)
