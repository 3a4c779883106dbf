"""``VideoGenerationService`` with both backends, held to one contract: in this process (the
flows) and remote (a reelgate server under uvicorn on loopback, called over real HTTP with an
API key). The same calls, the same answers, the same core errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelgate.errors import (
    ConflictError,
    ContentRejectedError,
    JobCancelledError,
    JobTimeoutError,
    NotFoundError,
    UnknownModelError,
    ValidationError,
)
from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.service.in_process import InProcessBackend
from reelgate_api.service.remote import RemoteBackend
from reelgate_api.service.service import VideoGenerationService
from reelgate_api.settings import ApiSettings
from tests.support import probe_mp4

KEYS = {"key-acme": ["acme"], "key-other": ["other"]}


@pytest.fixture(params=["in-process", "remote"])
async def service(
    request: pytest.FixtureRequest, fake: FakeProvider
) -> AsyncIterator[VideoGenerationService]:
    if request.param == "in-process":
        async with VideoGenerationService(InProcessBackend(ApiSettings())) as local:
            yield local
        return
    app = create_app(ApiSettings(api_keys=json.dumps(KEYS)))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as server:
        async with VideoGenerationService(RemoteBackend(server.url, "key-acme")) as remote:
            yield remote


def video_file(url: str, tmp_path: Path) -> Path:
    """The video a result's URL points at, as a local file."""
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    target = tmp_path / "served.mp4"
    target.write_bytes(httpx.get(url, timeout=30).content)
    return target


async def test_generate_returns_the_seed_envelope_of_a_playable_video(
    service: VideoGenerationService, tmp_path: Path
) -> None:
    answer = await service.generate(
        prompt="a lighthouse at dusk",
        customer_id="acme",
        settings={"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
    )
    assert answer.success is True and answer.code == 200
    assert answer.data.provider == "local" and answer.data.customer_id == "acme"
    assert probe_mp4(video_file(answer.data.video_url, tmp_path))["frames"] == 24


async def test_submit_reports_progress_until_the_job_ends(
    service: VideoGenerationService, fake: FakeProvider
) -> None:
    fake.poll_script = [Running(progress=0.4, poll_after_seconds=0.1)] * 8
    job = await service.submit(
        {"prompt": "a kite", "customer_id": "acme", "settings": {"video": {"model": "fake"}}}
    )
    seen = [status async for status in job]
    assert seen[-1].status == "succeeded" and seen[-1].result is not None
    assert "running" in [status.status for status in seen]
    assert (await job.status()).status == "succeeded"
    answer = await job.wait(timeout=30)
    assert answer.data.job_id == job.job_id and answer.data.provider == "fake"


async def test_a_request_that_cannot_run_raises_its_core_error_before_a_job_exists(
    service: VideoGenerationService, fake: FakeProvider
) -> None:
    with pytest.raises(UnknownModelError) as unknown:
        await service.submit(prompt="x", customer_id="acme", settings={"video": {"model": "lokal"}})
    assert "local" in unknown.value.details["suggestions"]
    with pytest.raises(ValidationError, match="duration_seconds"):
        await service.generate(
            prompt="x", customer_id="acme", settings={"video": {"duration_seconds": 0}}
        )
    with pytest.raises(NotFoundError):
        await service.job("00000000-0000-0000-0000-000000000000").status()
    assert fake.submissions == 0


async def test_a_failed_job_raises_its_core_error_with_its_job_id(
    service: VideoGenerationService, fake: FakeProvider
) -> None:
    job = await service.submit(
        prompt="something forbidden", customer_id="acme", settings={"video": {"model": "fake"}}
    )
    with pytest.raises(ContentRejectedError) as rejected:
        await job.wait(timeout=60)
    assert rejected.value.details["job_id"] == job.job_id
    assert (await job.status()).error["type"] == "content_rejected"  # type: ignore[index]


async def submitted_at_provider(fake: FakeProvider, timeout: float = 60.0) -> None:
    """Wait until the provider holds the job (a busy Prefect API may delay the run's start
    past any fixed wait; the cancel must then reach the provider)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not fake.submitted_jobs:
        assert asyncio.get_running_loop().time() < deadline, "the job never reached the provider"
        await asyncio.sleep(0.05)


async def test_wait_times_out_and_cancel_stops_the_job(
    service: VideoGenerationService, fake: FakeProvider
) -> None:
    fake.poll_script = [Running(progress=0.1, poll_after_seconds=0.1)] * 10_000
    job = await service.submit(
        prompt="slow", customer_id="acme", settings={"video": {"model": "fake"}}
    )
    await submitted_at_provider(fake)
    with pytest.raises(JobTimeoutError):
        await job.wait(timeout=1.0)
    assert await job.cancel() == "cancelled"
    with pytest.raises(JobCancelledError):
        await job.wait(timeout=30)
    with pytest.raises(ConflictError):
        await job.cancel()
    assert fake.cancelled == {fake.submitted_jobs[0].provider_job_id}


async def test_one_idempotency_key_one_job_from_concurrent_callers(
    service: VideoGenerationService, fake: FakeProvider
) -> None:
    body = {"prompt": "once", "customer_id": "acme", "settings": {"video": {"model": "fake"}}}
    jobs = await asyncio.gather(
        *(service.submit(body, idempotency_key="order-17") for _ in range(5))
    )
    assert len({job.job_id for job in jobs}) == 1
    await jobs[0].wait(timeout=60)
    assert fake.submissions == 1
    with pytest.raises(ConflictError):
        await service.submit({**body, "prompt": "other"}, idempotency_key="order-17")


async def test_extend_continues_a_finished_job(service: VideoGenerationService) -> None:
    first = await service.generate(
        prompt="a tide",
        customer_id="acme",
        settings={"video": {"model": "local", "duration_seconds": 1}},
    )
    longer = await service.extend(
        prompt="the tide goes out", customer_id="acme", video_id=first.data.job_id
    )
    assert longer.data.model == "local" and longer.data.job_id != first.data.job_id


async def test_the_remote_backend_acts_only_for_its_keys_customers(fake: FakeProvider) -> None:
    app = create_app(ApiSettings(api_keys=json.dumps(KEYS)))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as server:
        async with (
            VideoGenerationService.remote(server.url, "key-acme") as acme,
            VideoGenerationService.remote(server.url, "key-other") as other,
            VideoGenerationService.remote(server.url, "wrong") as stranger,
        ):
            body: dict[str, Any] = {
                "prompt": "p",
                "customer_id": "acme",
                "settings": {"video": {"model": "fake"}},
            }
            job = await acme.submit(body)
            await job.wait(timeout=60)
            from reelgate.errors import ForbiddenError, UnauthorizedError

            with pytest.raises(NotFoundError):
                await other.job(job.job_id).status()
            with pytest.raises(ForbiddenError):
                await other.submit(body)
            with pytest.raises(UnauthorizedError):
                await stranger.models()
            assert "models" in await acme.models()
