"""Workers on several machines share no disk: with S3 as the object store, ``reelgate deploy``
makes it the Prefect server's result storage, so job envelopes and the submission cache written
by one process are read by any other. API and workers here each have their own
``PREFECT_LOCAL_STORAGE_PATH``; a killed worker's jobs are resumed by its successor on yet
another disk without a second paid submission."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import boto3
import pytest
from kling_emulator import KlingEmulator

from tests.prefect_server import PrefectServer, postgres_reachable
from tests.processes import ApiProcess, eventually, jobs_ended, post_jobs, run_cli, worker
from tests.support import MotoServer

pytestmark = [
    pytest.mark.skipif(not postgres_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> PrefectServer:
    prefect = PrefectServer(tmp_path_factory.mktemp("prefect-server"))
    prefect.start()
    yield prefect  # type: ignore[misc]
    prefect.stop()


def _s3_environ(moto_server: MotoServer, bucket: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL_S3": moto_server.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "REELGATE_STORAGE_URL": f"s3://{bucket}/media",
    }


def _request(prompt: str) -> dict[str, object]:
    """A Kling job of customer acme."""
    return {
        "prompt": prompt,
        "customer_id": "acme",
        "settings": {"video": {"model": "kling-v2-6", "duration_seconds": 5}},
    }


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


async def test_workers_on_separate_disks_share_results_through_the_object_store(
    server: PrefectServer, kling: KlingEmulator, moto_server: MotoServer, tmp_path: Path
) -> None:
    bucket = f"fleet-{os.urandom(4).hex()}"
    s3 = _s3_environ(moto_server, bucket)
    client = boto3.client(
        "s3",
        endpoint_url=moto_server.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    env = {**server.environ(), **kling.environ(), **s3}
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    deployed = run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    assert f"s3://{bucket}/media/prefect-results" in deployed

    disks = {name: tmp_path / f"disk-{name}" for name in ("api", "w1", "w2", "w1-again")}

    def on_disk(name: str) -> dict[str, str]:
        return {**env, "PREFECT_LOCAL_STORAGE_PATH": str(disks[name])}

    kling.queries_to_finish = 10**9  # the provider works until the first worker is killed
    in_flight = ("--max-in-flight", "3")
    first = worker(f"w1-{pool}", pool, on_disk("w1"), tmp_path, *in_flight)
    other = worker(f"w2-{pool}", pool, on_disk("w2"), tmp_path, *in_flight)
    successor = worker(f"w1-{pool}", pool, on_disk("w1-again"), tmp_path, *in_flight)
    api = ApiProcess(
        {**on_disk("api"), "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool},
        tmp_path / "api.log",
    )
    try:
        first.start()
        other.start()
        api.start()
        with api.client() as http:
            bodies = [_request(f"lanterns, take {n}") for n in range(6)]
            bodies[5]["save_to_db"] = False  # answered inline: a data: URI
            job_ids = post_jobs(http, bodies)

            def polled() -> bool:
                tasks = list(kling.tasks.values())
                return kling.submissions == 6 and all(task.queries > 0 for task in tasks)

            eventually(polled, 120, "six accepted, polled provider tasks")
            first.kill()  # its disk is gone with it: the successor starts on another
            kling.queries_to_finish = 1
            successor.start()

            eventually(lambda: jobs_ended(http, job_ids), 180, "six jobs to end", poll=0.5)
            views = [http.get(f"/video/jobs/{j}").json() for j in job_ids]
        assert [v["status"] for v in views] == ["succeeded"] * 6, (views, successor.tail())
        creates = sum(1 for operation, _ in kling.requests if operation == "create")
        assert kling.submissions == 6 and creates == 6, "nothing was submitted again"
        for view in views[:5]:
            url = view["data"]["video_url"]
            assert f"/{bucket}/media/customers/acme/assets/video/" in url, view
        inline = views[5]["data"]
        assert inline["video_url"].startswith("data:video/mp4;base64,")
        video = base64.b64decode(inline["video_url"].partition(",")[2])
        assert video[4:8] == b"ftyp" and inline["storage_key"].startswith(
            "media/customers/acme/inline/"
        )
        for name, disk in disks.items():
            assert _files_under(disk) == [], f"{name} kept results on its own disk"
        results = client.list_objects_v2(Bucket=bucket, Prefix="media/prefect-results/")
        assert results.get("KeyCount", 0) >= 12, "envelopes and submissions are in S3"
        largest = max(item["Size"] for item in results["Contents"])
        assert largest < len(video), f"a persisted result of {largest} bytes holds the video"
    finally:
        api.stop()
        for started in (first, other, successor):
            started.stop()
