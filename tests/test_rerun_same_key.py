"""Issue 11 §3: sending a failed job's request again under its Idempotency-Key resumes the
same job when its failure allows it, through the HTTP API against each provider's emulator:

- provider job known (its video arrived broken) → downloaded again, never generated again;
- submission proven absent (rate limited, unavailable) → submitted again, paid once;
- a final failure (the provider refused the content) → answered again as it was, nothing sent.

The job's status says ``retryable`` in each case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kling_emulator import KlingEmulator
from litestar.testing import AsyncTestClient
from sora_emulator import SoraEmulator
from vertex_emulator import VertexEmulator

from reelgate.testing import request_body
from reelgate.testing.emulator import Fault
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(
        ApiSettings(sync_timeout_seconds=60, max_running_jobs=4, submit_retries=0, step_retries=0)
    )
    async with AsyncTestClient(app=app, timeout=120) as test_client:
        yield test_client


def _body(model: str, seconds: int, prompt: str = "a heron in the reeds") -> dict[str, Any]:
    return request_body(prompt, customer_id="rerun", model=model, duration_seconds=seconds)


async def _status(client: AsyncTestClient[Any], job_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get(f"/video/jobs/{job_id}")).json()
    return answer


async def test_kling_a_broken_download_is_resumed_without_generating_again(
    client: AsyncTestClient[Any], kling: KlingEmulator
) -> None:
    kling.faults.add("download", Fault("truncated"))
    headers = {"Idempotency-Key": "kling-rerun"}
    failed = await client.post("/video/generate", json=_body("kling-v2-6", 5), headers=headers)
    error = failed.json()["error"]
    assert failed.status_code == 502 and error["type"] == "download_corrupt"
    assert error["retryable"] is True
    assert "send the same request with the same Idempotency-Key to download" in error["message"]
    job_id = error["job_id"]
    status = await _status(client, job_id)
    assert (status["status"], status["retryable"]) == ("failed", True)

    again = await client.post("/video/generate", json=_body("kling-v2-6", 5), headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["job_id"] == job_id
    assert kling.submissions == 1 and sum(op == "download" for op, _ in kling.requests) == 2
    assert (await _status(client, job_id))["status"] == "succeeded"


async def test_sora_a_submission_proven_absent_is_submitted_again(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    sora.faults.add(
        "create",
        Fault("status", 429, {"error": {"message": "slow down", "type": "rate_limit"}}),
    )
    headers = {"Idempotency-Key": "sora-rerun"}
    accepted = await client.post("/video/jobs", json=_body("sora-2", 4), headers=headers)
    job_id = accepted.json()["data"]["job_id"]
    await _until_ended(client, job_id)
    status = await _status(client, job_id)
    assert (status["status"], status["retryable"]) == ("failed", True)
    assert status["error"]["type"] == "rate_limited"
    assert "to submit again" in status["error"]["message"]
    assert sora.submissions == 0

    again = await client.post("/video/generate", json=_body("sora-2", 4), headers=headers)
    assert again.status_code == 200 and again.json()["data"]["job_id"] == job_id
    assert sora.submissions == 1


async def test_veo_unavailable_at_create_is_submitted_again(
    client: AsyncTestClient[Any], vertex: VertexEmulator
) -> None:
    unavailable = {"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}
    vertex.faults.add("create", Fault("status", 503, unavailable))
    headers = {"Idempotency-Key": "veo-rerun"}
    body = _body("veo-3.1-fast", 4)
    failed = await client.post("/video/generate", json=body, headers=headers)
    assert failed.status_code == 502 and failed.json()["error"]["retryable"] is True
    again = await client.post("/video/generate", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert vertex.submissions == 1


async def test_a_final_failure_is_answered_again_and_nothing_is_sent(
    client: AsyncTestClient[Any], kling: KlingEmulator
) -> None:
    headers = {"Idempotency-Key": "kling-risky"}
    body = _body("kling-v2-6", 5, prompt="a storm [risky]")
    failed = await client.post("/video/generate", json=body, headers=headers)
    assert failed.status_code == 400 and failed.json()["error"]["retryable"] is False
    again = await client.post("/video/generate", json=body, headers=headers)
    assert again.status_code == 400 and again.json() == failed.json()
    assert kling.submissions == 1
    creates = sum(op == "create" for op, _ in kling.requests)
    assert creates == 1


async def _until_ended(client: AsyncTestClient[Any], job_id: str) -> None:
    import asyncio

    for _ in range(600):
        if (await _status(client, job_id))["status"] in ("succeeded", "failed", "cancelled"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")
