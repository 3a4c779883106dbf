"""The spool never loses a video: with S3 (moto's server) stopped the job fails 502 and keeps
its video; once S3 is back, the drain-spool flow stores it and the job completes with its URL."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from litestar.testing import AsyncTestClient
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType

from reelgate.errors import StorageError
from reelgate.requests import GenerateRequest
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.drain import drain_spool
from reelgate_flows.flows import generate_video
from reelgate_flows.spool import Spool
from tests.support import MotoServer, probe_mp4


def request(number_of_videos: int = 1) -> GenerateRequest:
    return GenerateRequest.model_validate(
        {
            "prompt": "a lighthouse in a storm",
            "customer_id": "spool-1",
            "settings": {
                "video": {
                    "model": "local",
                    "duration_seconds": 1,
                    "resolution": "360p",
                    "number_of_videos": number_of_videos,
                }
            },
        }
    )


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REELGATE_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    return tmp_path / "spool"


async def fail_with_s3_down(moto_server: MotoServer, videos: int) -> str:
    """Run a job while S3 is down; returns its job id (after checking its 502)."""
    moto_server.stop()
    try:
        state = await generate_video(request(videos), return_state=True)
        assert state.is_failed()
        error = await state.aresult(raise_on_failure=False)
        assert isinstance(error, StorageError) and error.status == 502
        job_id = str(state.state_details.flow_run_id)
        assert "drain-spool" in error.message and job_id in error.message
        report = await drain_spool()
        assert [w["job_id"] for w in report["waiting"]] == [job_id], "still down: it waits"
        assert report["completed"] == []
    finally:
        moto_server.start()
    return job_id


async def test_a_job_whose_storage_failed_completes_once_drained(
    s3_env: str, moto_server: MotoServer, spool_dir: Path
) -> None:
    job_id = await fail_with_s3_down(moto_server, videos=2)
    spooled = sorted(spool_dir.rglob("*.mp4"))
    assert len(spooled) == 2 and all(probe_mp4(p)["frames"] == 24 for p in spooled)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=s3_env)  # moto's server starts empty

    began = time.perf_counter()
    report = await drain_spool()
    print(
        f"drain-spool stored 2 videos and completed the job in {time.perf_counter() - began:.2f} s"
    )
    assert report == {"completed": [job_id], "waiting": []}
    assert not list(spool_dir.rglob("*.mp4")) and Spool(spool_dir).pending() == []

    async with get_client() as client:
        run = await client.read_flow_run(uuid.UUID(job_id))
    assert run.state is not None and run.state.type is StateType.COMPLETED
    envelope: dict[str, Any] = await run.state.aresult()
    data = envelope["data"]
    assert data["job_id"] == job_id and len(data["videos"]) == 2
    for video in data["videos"]:
        key = video["storage_key"]
        assert key.startswith("media/customers/spool-1/assets/video/")
        assert s3.head_object(Bucket=s3_env, Key=key)["ContentLength"] == video["size_bytes"]

    app = create_app(ApiSettings(sync_timeout_seconds=5))
    async with AsyncTestClient(app=app, timeout=60) as http:
        answer = (await http.get(f"/video/jobs/{job_id}")).json()
    assert answer["status"] == "succeeded" and answer["data"]["video_url"] == data["video_url"]

    assert (await drain_spool()) == {"completed": [], "waiting": []}, "nothing is stored twice"
