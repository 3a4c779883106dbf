"""Paying once, retrying what is safe, typed failures and deadlines — through the real Prefect
engine with the scripted fake provider (it counts every paid submission)."""

from __future__ import annotations

import functools

import pytest

from reelgate.errors import (
    CapabilityNotSupportedError,
    ContentRejectedError,
    JobTimeoutError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownModelError,
)
from reelgate.jobs import Failed, JobError, JobKind, Running
from reelgate.requests import ExtendRequest
from reelgate.specs import Capabilities
from reelgate.testing import FakeProvider, make_request
from reelgate.testing.fake import FAKE_MODEL
from reelgate_flows.flows import extend_video, generate_video

request = functools.partial(make_request, customer_id="acme-2", model="fake", duration_seconds=1)


async def test_rate_limited_submission_is_retried_and_paid_once(fake: FakeProvider) -> None:
    fake.submit_errors = [RateLimitedError("slow down", provider_code="429")]
    envelope = await generate_video(request())
    assert envelope["success"] and fake.submissions == 1


async def test_ambiguous_submission_failure_is_not_retried(fake: FakeProvider) -> None:
    fake.submit_errors = [ProviderUnavailableError("connection reset after sending")]
    with pytest.raises(ProviderUnavailableError) as caught:
        await generate_video(request())
    assert caught.value.status == 502
    assert fake.submit_errors == [] and fake.submissions == 0


async def test_a_rerun_with_the_same_idempotency_key_reuses_the_paid_job(
    fake: FakeProvider,
) -> None:
    fake.poll_errors = [ProviderError("poll exploded", provider_code="boom")]
    with pytest.raises(ProviderError):
        await generate_video(request(), idempotency_key="order-17")
    assert fake.submissions == 1
    envelope = await generate_video(request(), idempotency_key="order-17")
    assert envelope["success"] and fake.submissions == 1
    assert envelope["data"]["provider_job_id"] == fake.submitted_jobs[0].provider_job_id


async def test_the_same_key_with_another_request_is_another_job(fake: FakeProvider) -> None:
    await generate_video(request("one"), idempotency_key="order-18")
    await generate_video(request("two"), idempotency_key="order-18")
    assert fake.submissions == 2


async def test_transient_poll_and_download_failures_are_retried(fake: FakeProvider) -> None:
    fake.poll_errors = [ProviderUnavailableError("503"), ProviderUnavailableError("503")]
    fake.download_errors = [ProviderUnavailableError("reset")]
    envelope = await generate_video(request())
    assert envelope["success"] and fake.submissions == 1


async def test_retry_settings_are_read_when_the_job_runs(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No step's retries are frozen at import: the process's settings of the moment apply."""
    monkeypatch.setenv("REELGATE_STEP_RETRIES", "0")
    fake.download_errors = [ProviderUnavailableError("reset")]
    with pytest.raises(ProviderUnavailableError):
        await generate_video(request())
    monkeypatch.setenv("REELGATE_STEP_RETRIES", "2")
    fake.download_errors = [ProviderUnavailableError("reset")]
    envelope = await generate_video(request())
    assert envelope["success"] and fake.submissions == 2


async def test_content_rejection_is_a_400_and_never_retried(fake: FakeProvider) -> None:
    with pytest.raises(ContentRejectedError) as caught:
        await generate_video(request("a forbidden thing"))
    assert caught.value.status == 400 and caught.value.details["provider_code"] == "rejected"


async def test_a_failed_provider_job_is_a_502_with_the_provider_code(fake: FakeProvider) -> None:
    fake.poll_script = [
        Running(progress=0.5),
        Failed(
            error=JobError(error_class=ProviderError, message="GPU on fire", provider_code="5001")
        ),
    ]
    with pytest.raises(ProviderError) as caught:
        await generate_video(request())
    assert caught.value.status == 502 and caught.value.details["provider_code"] == "5001"
    assert "GPU on fire" in caught.value.message


async def test_a_provider_safety_failure_after_polling_is_content_rejected(
    fake: FakeProvider,
) -> None:
    fake.poll_script = [
        Failed(error=JobError(error_class=ContentRejectedError, message="raiMediaFilteredCount=1"))
    ]
    with pytest.raises(ContentRejectedError):
        await generate_video(request())


async def test_wait_has_an_overall_deadline(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELGATE_WAIT_TIMEOUT_SECONDS", "0.5")
    fake.poll_script = [Running(progress=0.1, poll_after_seconds=0.05)] * 1000
    with pytest.raises(JobTimeoutError) as caught:
        await generate_video(request())
    assert caught.value.status == 502
    assert caught.value.details["provider_job_id"] == fake.submitted_jobs[0].provider_job_id


async def test_unknown_model_is_a_400_with_suggestions(fake: FakeProvider) -> None:
    with pytest.raises(UnknownModelError) as caught:
        await generate_video(request(model="lokal"))
    assert caught.value.status == 400 and "local" in caught.value.details["suggestions"]


async def test_extend_on_a_provider_without_it_is_a_501(use_runtime: object) -> None:
    limited = FakeProvider(
        spec=FAKE_MODEL.model_copy(
            update={"capabilities": Capabilities(kinds=frozenset({JobKind.TEXT}), durations=(1,))}
        )
    )
    use_runtime(("fake", limited))  # type: ignore[operator]
    extend = ExtendRequest.model_validate(
        {
            "prompt": "more",
            "customer_id": "acme-2",
            "video_id": "provider-video-1",
            "settings": {"video": {"model": "fake", "duration_seconds": 1}},
        }
    )
    with pytest.raises(CapabilityNotSupportedError) as caught:
        await extend_video(extend)
    assert caught.value.status == 501 and limited.submissions == 0


async def test_an_unconfigured_provider_is_a_400_naming_the_variable(
    use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = FAKE_MODEL.model_copy(
        update={
            "provider": FAKE_MODEL.provider.model_copy(
                update={
                    "settings": (
                        FAKE_MODEL.provider.settings[0].model_copy(update={"default": None}),
                    )
                }
            )
        }
    )
    provider = FakeProvider(spec=spec)
    monkeypatch.delenv("REELGATE_FAKE_TOKEN", raising=False)
    use_runtime(("fake", provider))  # type: ignore[operator]
    with pytest.raises(ProviderNotConfiguredError) as caught:
        await generate_video(request())
    assert caught.value.status == 400 and "REELGATE_FAKE_TOKEN" in caught.value.message
    assert provider.submissions == 0
