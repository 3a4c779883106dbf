"""A storage failure at any step of a put never orphans a paid video: the job ends in the
documented 502 naming the spool file, a pending record is kept, and drain-spool completes the
job once the storage works again. Faults are injected at each step of a folder put (make the
folder, link or copy, rename) and of an S3 put (a missing bucket), plus an unexpected error
type from a storage."""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType

from reelgate.errors import StorageError
from reelgate.requests import GenerateRequest
from reelgate_flows.drain import drain_spool
from reelgate_flows.flows import generate_video
from reelgate_flows.spool import Spool
from reelgate_flows.storage import files as file_storage


def request() -> GenerateRequest:
    return GenerateRequest.model_validate(
        {
            "prompt": "a kite over dunes",
            "customer_id": "faults-1",
            "settings": {"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
        }
    )


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REELGATE_SPOOL_DIR", str(tmp_path / "spool"))
    return tmp_path / "spool"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "videos"
    monkeypatch.setenv("REELGATE_STORAGE_URL", f"file://{root}")
    return root


def failing_under(root: Path, real: Callable[..., Any], *, argument: int) -> Callable[..., Any]:
    """``real``, except that it fails with ENOSPC when its ``argument``-th path lies under
    ``root`` (the storage folder): Prefect's own files are untouched."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if Path(args[argument]).resolve().is_relative_to(root.resolve()):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    return call


async def fails_and_keeps_the_video(spool_dir: Path) -> tuple[str, StorageError]:
    state = await generate_video(request(), return_state=True)
    assert state.is_failed()
    error = await state.aresult(raise_on_failure=False)
    assert isinstance(error, StorageError), repr(error)
    assert error.status == 502 and error.to_error_body()["type"] == "storage_error"
    job_id = str(state.state_details.flow_run_id)
    spooled = list(spool_dir.rglob("*.mp4"))
    assert len(spooled) == 1 and str(spooled[0]) in error.message
    assert f"drain-spool will store it and complete job {job_id}" in error.message
    assert [p["job_id"] for p in Spool(spool_dir).pending()] == [job_id]
    return job_id, error


async def drains_to_completion(job_id: str, spool_dir: Path) -> dict[str, Any]:
    assert await drain_spool() == {"completed": [job_id], "waiting": []}
    assert not list(spool_dir.rglob("*.mp4")) and Spool(spool_dir).pending() == []
    async with get_client() as client:
        run = await client.read_flow_run(uuid.UUID(job_id))
    assert run.state is not None and run.state.type is StateType.COMPLETED
    envelope: dict[str, Any] = await run.state.aresult()
    return envelope["data"]


def no_partial_files(root: Path) -> None:
    assert not [p for p in root.rglob("*.partial")], "a failed put leaves no partial file"


async def test_a_file_in_place_of_the_folder(spool_dir: Path, folder: Path) -> None:
    blocked = folder / "customers" / "faults-1"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a folder")
    job_id, error = await fails_and_keeps_the_video(spool_dir)
    assert str(blocked) in error.message
    blocked.unlink()
    data = await drains_to_completion(job_id, spool_dir)
    assert Path(data["video_url"].removeprefix("file://")).is_file()


@pytest.mark.parametrize("step", ["link and copy", "rename"])
async def test_a_failed_write_step(
    step: str, spool_dir: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if step == "rename":
        monkeypatch.setattr(os, "replace", failing_under(folder, os.replace, argument=1))
    else:
        monkeypatch.setattr(os, "link", failing_under(folder, os.link, argument=1))
        monkeypatch.setattr(shutil, "copyfile", failing_under(folder, shutil.copyfile, argument=1))
    job_id, error = await fails_and_keeps_the_video(spool_dir)
    assert "No space left on device" in error.message
    no_partial_files(folder)
    monkeypatch.undo()
    monkeypatch.setenv("REELGATE_SPOOL_DIR", str(spool_dir))
    monkeypatch.setenv("REELGATE_STORAGE_URL", f"file://{folder}")
    await drains_to_completion(job_id, spool_dir)
    no_partial_files(folder)


async def test_an_unexpected_error_type_from_a_storage(
    spool_dir: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: file_storage.FileStorage, source: Path, key: str) -> None:
        raise RuntimeError("the storage driver crashed")

    monkeypatch.setattr(file_storage.FileStorage, "put", broken)
    job_id, error = await fails_and_keeps_the_video(spool_dir)
    assert "the storage driver crashed" in error.message
    monkeypatch.undo()
    monkeypatch.setenv("REELGATE_SPOOL_DIR", str(spool_dir))
    monkeypatch.setenv("REELGATE_STORAGE_URL", f"file://{folder}")
    await drains_to_completion(job_id, spool_dir)


@pytest.fixture
def missing_bucket(s3_env: str) -> str:
    s3 = boto3.client("s3")
    s3.delete_bucket(Bucket=s3_env)
    return s3_env


async def test_an_s3_bucket_that_does_not_exist(missing_bucket: str, spool_dir: Path) -> None:
    job_id, error = await fails_and_keeps_the_video(spool_dir)
    assert f"s3://{missing_bucket}/" in error.message and "NoSuchBucket" in error.message
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=missing_bucket)
    data = await drains_to_completion(job_id, spool_dir)
    head = s3.head_object(Bucket=missing_bucket, Key=data["storage_key"])
    assert head["ContentLength"] > 1000 and data["video_url"].endswith(data["storage_key"])
