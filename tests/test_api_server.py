"""The API under a real uvicorn server on loopback: Server-Sent Events of a job's progress and
its result, and Prometheus metrics of the jobs run."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import get_client

from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.job_ids import find_run


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[str]:
    app = create_app(ApiSettings(max_running_jobs=2, sync_timeout_seconds=60))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as server:
        yield server.url


def events(url: str, last_event_id: str | None = None) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a stream; each data object also holds its ``id:`` as
    ``_id``."""
    found: list[tuple[str, Any]] = []
    event, ident = "", ""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    with httpx.stream("GET", url, timeout=120, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("id:"):
                ident = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                found.append((event, {**json.loads(line.split(":", 1)[1]), "_id": ident}))
    return found


def test_events_stream_progress_then_the_result(api: str, fake: FakeProvider) -> None:
    fake.poll_script = [Running(progress=p, poll_after_seconds=0.1) for p in (0.2, 0.5, 0.8)]
    accepted = httpx.post(
        f"{api}/video/jobs",
        json={
            "prompt": "stream me",
            "customer_id": "sse",
            "settings": {"video": {"model": "fake", "duration_seconds": 1}},
        },
        timeout=60,
    )
    job_id = accepted.json()["data"]["job_id"]
    stream = events(f"{api}/video/jobs/{job_id}/events")
    kinds = [kind for kind, _ in stream]
    assert kinds[-1] == "result" and kinds.count("result") == 1
    statuses = [data["status"] for kind, data in stream if kind == "status"]
    assert statuses[-1] == "succeeded" and len(stream) >= 3
    assert stream[-1][1]["success"] is True and stream[-1][1]["data"]["job_id"] == job_id
    progress = [data["progress"] for kind, data in stream if kind == "status"]
    assert all(p is None or p == round(p, 2) for p in progress), progress
    ids = [data["_id"] for _, data in stream]
    assert all(ids) and len(set(ids)) == len(ids), "every event has its own id"
    last_status = [data["_id"] for kind, data in stream if kind == "status"][-1]
    resumed = events(f"{api}/video/jobs/{job_id}/events", last_event_id=last_status)
    assert [kind for kind, _ in resumed] == ["result"], "the status it had is not sent again"
    missing = httpx.get(f"{api}/video/jobs/00000000-0000-0000-0000-000000000000/events")
    assert missing.status_code == 404

    metrics = httpx.get(f"{api}/metrics").text
    assert 'reelgate_jobs_total{outcome="succeeded",provider="fake"} 1.0' in metrics
    assert "reelgate_job_duration_seconds_bucket" in metrics


class Receiver:
    """A webhook receiver on loopback: answers 500 to the first ``failures`` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.deliveries: list[tuple[dict[str, str], bytes]] = []

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def hook(request: Request) -> Response:
            self.deliveries.append((dict(request.headers), await request.body()))
            return Response(status_code=500 if len(self.deliveries) <= self.failures else 204)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


SECRET_KEY = b"k" * 32
SECRET = "whsec_" + __import__("base64").b64encode(SECRET_KEY).decode()


def verify(headers: dict[str, str], body: bytes) -> bool:
    import base64
    import hashlib
    import hmac

    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(SECRET_KEY, signed, hashlib.sha256).digest()).decode()
    return any(part.split(",", 1)[1] == expected for part in headers["webhook-signature"].split())


def test_webhooks_are_signed_and_retried_until_delivered(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("REELGATE_ALLOW_PRIVATE_URLS", "true")
    receiver = Receiver(failures=1)
    app = create_app(ApiSettings(webhook_secret=SECRET, webhook_retry_base_seconds=0.05))
    with BackgroundServer(receiver.app()) as hooks, BackgroundServer(app, lifespan="on") as api:
        accepted = httpx.post(
            f"{api.url}/video/jobs",
            json={
                "prompt": "notify me",
                "customer_id": "hooks",
                "webhook_url": f"{hooks.url}/hook",
                "settings": {"video": {"model": "fake", "duration_seconds": 1}},
            },
            timeout=60,
        )
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 60
        while len(receiver.deliveries) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(receiver.deliveries) == 2
    (first_headers, first_body), (headers, body) = receiver.deliveries
    assert first_headers["webhook-id"] == headers["webhook-id"]
    assert verify(headers, body) and verify(first_headers, first_body)
    assert not verify({**headers, "webhook-timestamp": "1"}, body)
    payload = json.loads(body)
    assert payload["success"] is True and payload["job_id"] == accepted.json()["data"]["job_id"]


def test_a_failed_jobs_webhook_says_whether_it_was_billed_and_a_storyboard_notifies_too(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("REELGATE_ALLOW_PRIVATE_URLS", "true")
    receiver = Receiver(failures=0)
    app = create_app(ApiSettings(webhook_secret=SECRET, webhook_retry_base_seconds=0.05))
    video = {"model": "fake", "duration_seconds": 1}
    serving = BackgroundServer(app, lifespan="on", start_timeout_seconds=60)
    with BackgroundServer(receiver.app()) as hooks, serving as api:
        hook = f"{hooks.url}/hook"
        refused = {"prompt": "a forbidden scene", "customer_id": "hooks", "webhook_url": hook}
        failed = httpx.post(
            f"{api.url}/video/jobs", json={**refused, "settings": {"video": video}}, timeout=60
        )
        shots = [{"prompt": "a kite"}, {"prompt": "a boat"}]
        board = {"customer_id": "hooks", "webhook_url": hook, "shots": shots}
        story = httpx.post(
            f"{api.url}/video/storyboards", json={**board, "settings": {"video": video}}, timeout=60
        )
        assert (failed.status_code, story.status_code) == (202, 202), story.text
        deadline = time.monotonic() + 60
        while len(receiver.deliveries) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    payloads = {json.loads(body)["job_id"]: json.loads(body) for _, body in receiver.deliveries}
    lost = payloads[failed.json()["data"]["job_id"]]
    assert lost["success"] is False and lost["error"]["billed"] is False, lost
    made = payloads[story.json()["data"]["job_id"]]
    assert made["success"] is True and len(made["data"]["shots"]) == 2, made


def test_webhook_targets_are_checked_before_the_job(fake: FakeProvider) -> None:
    app = create_app(ApiSettings(webhook_secret=SECRET))
    with BackgroundServer(app, lifespan="on") as api:
        for target in (
            "http://127.0.0.1:9/hook",
            "http://10.0.0.8/hook",
            "file:///etc/passwd",
            "http://169.254.169.254/latest/meta-data",
        ):
            refused = httpx.post(
                f"{api.url}/video/jobs",
                json={
                    "prompt": "x",
                    "customer_id": "hooks",
                    "webhook_url": target,
                    "settings": {"video": {"model": "fake", "duration_seconds": 1}},
                },
                timeout=60,
            )
            assert refused.status_code == 400, (target, refused.text)
            assert "webhook_url" in refused.json()["error"]["message"]
    assert fake.submissions == 0


def test_a_cancelled_job_counts_as_cancelled_and_its_run_is_named_by_its_job(
    api: str, fake: FakeProvider
) -> None:
    fake.poll_script = [Running(progress=0.1, poll_after_seconds=0.1)] * 10_000
    accepted = httpx.post(
        f"{api}/video/jobs",
        json={
            "prompt": "stop me",
            "customer_id": "sse",
            "settings": {"video": {"model": "fake", "duration_seconds": 1}},
        },
        timeout=60,
    )
    job_id = accepted.json()["data"]["job_id"]
    for _ in range(600):
        if fake.polls >= 1:
            break
        time.sleep(0.05)
    assert httpx.delete(f"{api}/video/jobs/{job_id}", timeout=60).status_code == 200
    for _ in range(600):
        metrics = httpx.get(f"{api}/metrics").text
        if 'outcome="cancelled"' in metrics:
            break
        time.sleep(0.05)
    assert 'reelgate_jobs_total{outcome="cancelled",provider="fake"} 1.0' in metrics
    assert 'outcome="failed"' not in metrics

    async def run_name() -> str:
        async with get_client() as prefect:
            run = await find_run(prefect, job_id)
        assert run is not None
        return run.name

    assert asyncio.run(run_name()) == f"job-{job_id}", "the Prefect UI finds it by its job id"
