"""Every face refuses an invalid request with the same 400 before anything runs: the HTTP API
creates no flow run, the CLI answers without importing Prefect, a backfill marks the item
invalid without a child run (all through ``Runtime.prepare``)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prefect.client.orchestration import get_client

from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate_api.http.app import create_app
from reelgate_flows.backfill_items import parse_items

BAD_SETTINGS = {
    "unknown model": ({"model": "lokal"}, "unknown_model"),
    "provider not configured": (
        {"model": "kling-v2-6", "duration_seconds": 5},
        "provider_not_configured",
    ),
    "aspect ratio the model lacks": ({"model": "local", "aspect_ratio": "7:3"}, "validation_error"),
    "duration the model lacks": ({"model": "local", "duration_seconds": 599}, "validation_error"),
}
CLI_OPTIONS = {
    "model": "--model",
    "aspect_ratio": "--aspect-ratio",
    "duration_seconds": "--duration",
}


def body(video: dict[str, Any]) -> dict[str, Any]:
    return {"prompt": "a lighthouse", "customer_id": "c-1", "settings": {"video": video}}


@pytest.fixture
async def client(use_runtime: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    use_runtime()
    async with AsyncTestClient(app=create_app(), timeout=120) as test_client:
        yield test_client


async def flow_runs() -> int:
    async with get_client() as prefect:
        return await prefect.count_flow_runs()


def cli_answer(video: dict[str, Any], cwd: Path) -> tuple[int, dict[str, Any], str]:
    """The CLI's exit status and envelope, and whether it imported Prefect (it must not)."""
    args = ["generate", "a lighthouse", "--customer-id", "c-1"]
    for name, value in video.items():
        args += [CLI_OPTIONS[name], str(value)]
    done = cli_without_prefect(args, cwd)
    return done.returncode, json.loads(done.stdout), done.stderr


def cli_without_prefect(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``reelgate ARGS`` with no Prefect API to reach; stderr says whether it imported Prefect."""
    script = (
        "import sys\nfrom reelgate_api.cli.main import main\n"
        f"code = main({args!r})\n"
        "print('prefect imported:', 'prefect' in sys.modules, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing listens there
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
async def test_every_face_refuses_the_same_way_before_anything_runs(
    case: str, client: AsyncTestClient[Any], tmp_path: Path
) -> None:
    video, error_type = BAD_SETTINGS[case]
    runs_before = await flow_runs()
    answers = []
    for path in ("/video/jobs", "/video/generate"):
        response = await client.post(path, json=body(video))
        assert response.status_code == 400, response.text
        answers.append(response.json())
    assert await flow_runs() == runs_before
    api = answers[0]
    assert answers[1] == api and api["error"]["type"] == error_type

    status, cli, stderr = cli_answer(video, tmp_path)
    assert status == 1 and cli == api
    assert "prefect imported: False" in stderr

    (item,) = parse_items([body(video)])
    assert item.request is None and item.problem == api["error"]["message"]


async def test_an_extend_of_an_unfinished_job_is_refused_at_once(
    fake: FakeProvider,
) -> None:
    """The model of an extension by job id comes from that job, so the job is looked up
    before the request is accepted."""
    fake.poll_script = [Running(progress=0.1)] * 10_000
    async with AsyncTestClient(app=create_app(), timeout=120) as client:
        started = await client.post(
            "/video/jobs", json=body({"model": "fake", "duration_seconds": 1})
        )
        job_id = started.json()["data"]["job_id"]
        extend = {"prompt": "on and on", "customer_id": "c-1", "video_id": job_id}
        queued = await client.post("/video/extend", json=extend)
        assert queued.status_code == 400, "refused at once, whether its run exists yet or not"
        while (await client.get(f"/video/jobs/{job_id}")).json()["status"] != "running":
            await asyncio.sleep(0.05)
        runs_before = await flow_runs()
        refused = await client.post("/video/extend", json=extend)
        assert (
            refused.status_code == 400 and "has not finished" in refused.json()["error"]["message"]
        )
        assert await flow_runs() == runs_before
        fake.poll_script.clear()
        while (await client.get(f"/video/jobs/{job_id}")).json()["status"] != "succeeded":
            await asyncio.sleep(0.1)
        extended = (await client.post("/video/extend", json=extend)).json()
        assert extended["code"] == 200 and extended["data"]["model"] == "fake"


def test_a_backfill_of_only_invalid_items_is_refused_without_prefect(tmp_path: Path) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text(
        "\n".join(json.dumps(body(video)) for video, _ in BAD_SETTINGS.values()) + "\n"
    )
    done = cli_without_prefect(["backfill", str(source)], tmp_path)
    report = json.loads(done.stdout)
    assert done.returncode == 2 and report["counts"] == {"invalid": len(BAD_SETTINGS)}
    assert "prefect imported: False" in done.stderr
    assert all(item["error"] for item in report["items"])
