"""The API under a real uvicorn server on loopback: Server-Sent Events of a job's progress and
its result, and Prometheus metrics of the jobs run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate_api.app import create_app
from reelgate_api.settings import ApiSettings
from tests.emulators.server import BackgroundServer


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[str]:
    app = create_app(ApiSettings(max_running_jobs=2, sync_timeout_seconds=60))
    with BackgroundServer(app, lifespan="on") as server:
        yield server.url


def events(url: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    event = ""
    with httpx.stream("GET", url, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                found.append((event, json.loads(line.split(":", 1)[1])))
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
    missing = httpx.get(f"{api}/video/jobs/00000000-0000-0000-0000-000000000000/events")
    assert missing.status_code == 404

    metrics = httpx.get(f"{api}/metrics").text
    assert 'reelgate_jobs_total{outcome="succeeded",provider="fake"} 1.0' in metrics
    assert "reelgate_job_duration_seconds_bucket" in metrics
