"""Deleting a video means it is gone: ``DELETE /v1/videos/{id}`` and ``DELETE
/video/jobs/{id}?purge=true`` remove the stored file (its signed URL stops working), every face
answers 404 for it, and it can no longer be extended."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelgate.testing import FakeProvider, request_body
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[httpx.Client]:
    app = create_app(ApiSettings(sync_timeout_seconds=60))
    with (
        BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client


def made(api: httpx.Client) -> dict[str, Any]:
    body = request_body("a kite", customer_id="gone", model="fake", duration_seconds=1)
    answer = api.post("/video/generate", json=body)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    assert api.get(data["video_url"]).status_code == 200
    return data


def assert_gone(api: httpx.Client, data: dict[str, Any]) -> None:
    job_id, v1 = data["job_id"], {"X-Reelgate-Customer": "gone"}
    assert api.get(data["video_url"]).status_code == 404, "the signed URL stops working"
    assert api.get(f"/video/jobs/{job_id}").status_code == 404
    assert api.get(f"/video/jobs/{job_id}/events").status_code == 404
    assert api.get(f"/v1/videos/{job_id}", headers=v1).status_code == 404
    assert api.get(f"/v1/videos/{job_id}/content", headers=v1).status_code == 404
    extend = {
        **request_body("more", customer_id="gone", model="fake", duration_seconds=1),
        "video_id": job_id,
    }
    assert api.post("/video/extend", json=extend).status_code == 404


def test_deleting_through_v1_removes_the_video_everywhere(api: httpx.Client) -> None:
    data = made(api)
    headers = {"X-Reelgate-Customer": "gone"}
    deleted = api.delete(f"/v1/videos/{data['job_id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert_gone(api, data)


def test_a_purge_through_the_jobs_route_does_the_same(api: httpx.Client) -> None:
    data = made(api)
    purged = api.delete(f"/video/jobs/{data['job_id']}", params={"purge": "true"})
    assert purged.status_code == 200, purged.text
    assert purged.json()["data"]["status"] == "deleted"
    assert_gone(api, data)
