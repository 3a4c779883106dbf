"""Prefect result storage in the object store, so workers on several machines share no disk.

Flow results (job envelopes) and the submission cache (which provider job a submission
created) are Prefect results. On one machine they live under ``PREFECT_LOCAL_STORAGE_PATH``;
in a fleet every process must read what any other wrote. :class:`S3ResultStorage` is a Prefect
``WritableFileSystem`` on boto3 (the credentials and endpoint the video storage uses, never
stored in the block), and :func:`use_object_store_for_results` makes a saved one the Prefect
server's default result storage: every process on that server then reads and writes results
there, with no setting of its own.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import boto3
import prefect.results
from botocore.exceptions import ClientError
from prefect.client.orchestration import PrefectClient
from prefect.filesystems import WritableFileSystem
from prefect.settings import get_current_settings
from pydantic import Field

RESULTS_FOLDER = "prefect-results"
BLOCK_NAME = "reelgate-results"


class S3ResultStorage(WritableFileSystem):
    """Results as objects ``<prefix>/<path>`` in ``bucket``."""

    _block_type_name = "Reelgate S3 Result Storage"
    _block_type_slug = "reelgate-s3-result-storage"
    _description = "Prefect results in S3 through boto3, for reelgate's workers and API."

    bucket: str = Field(description="the bucket")
    prefix: str = Field(default="", description="key prefix (no leading or trailing slash)")

    def _key(self, path: str) -> str:
        path = path.lstrip("/")
        return f"{self.prefix}/{path}" if self.prefix else path

    async def read_path(self, path: str) -> bytes:
        """The object's bytes; ValueError when there is none (as Prefect's file systems)."""

        def read() -> bytes:
            try:
                answer = _client().get_object(Bucket=self.bucket, Key=self._key(path))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    raise ValueError(f"no result at s3://{self.bucket}/{self._key(path)}") from exc
                raise
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def write_path(self, path: str, content: bytes) -> None:
        key = self._key(path)
        await asyncio.to_thread(_client().put_object, Bucket=self.bucket, Key=key, Body=content)


@functools.cache
def _client() -> Any:
    """One boto3 S3 client per process (clients are thread-safe)."""
    return boto3.client("s3")


async def use_object_store_for_results(client: PrefectClient, storage_url: str) -> UUID | None:
    """When ``storage_url`` is ``s3://bucket/prefix``, save an :class:`S3ResultStorage` under
    ``<prefix>/prefect-results`` and make it the Prefect server's default result storage;
    returns its block document id (None for any other storage, which changes nothing)."""
    if not storage_url.startswith("s3://"):
        return None
    parts = urlsplit(storage_url)
    folder = f"{parts.path.strip('/')}/{RESULTS_FOLDER}".lstrip("/")
    block = S3ResultStorage(bucket=parts.netloc, prefix=folder)
    block_id: UUID = await block.save(BLOCK_NAME, overwrite=True, client=client)
    await client.update_server_default_result_storage(block_id)
    return block_id


SERVER_DEFAULT_TTL_SECONDS = 30.0
_server_defaults: dict[str, tuple[float, UUID | None]] = {}


def _fresh(api: str) -> tuple[float, UUID | None] | None:
    """The answer remembered for ``api``, unless it is over ``SERVER_DEFAULT_TTL_SECONDS`` old."""
    hit = _server_defaults.get(api)
    if hit is None or time.monotonic() - hit[0] > SERVER_DEFAULT_TTL_SECONDS:
        return None
    return hit


def _remember(api: str, answer: UUID | None) -> tuple[float, UUID | None]:
    hit = _server_defaults[api] = (time.monotonic(), answer)
    return hit


def _cached(lookup: Callable[[], UUID | None]) -> Callable[[], UUID | None]:
    def cached() -> UUID | None:
        api = str(get_current_settings().api.url)
        hit = _fresh(api) or _remember(api, lookup())
        return hit[1]

    return cached


def _acached(
    lookup: Callable[[], Awaitable[UUID | None]],
) -> Callable[[], Awaitable[UUID | None]]:
    async def cached() -> UUID | None:
        api = str(get_current_settings().api.url)
        hit = _fresh(api) or _remember(api, await lookup())
        return hit[1]

    return cached


def remember_server_default_storage() -> None:
    """Read the Prefect server's default result storage once per ``SERVER_DEFAULT_TTL_SECONDS``
    per API instead of at the start of every flow run (Prefect asks the server each time, with
    a blocking request: 7 ms per run on the embedded API, holding the event loop). A default
    set by ``reelgate deploy`` reaches running processes within that time."""
    sync_name = "_read_server_default_result_storage_block_id"
    async_name = "_aread_server_default_result_storage_block_id"
    if getattr(prefect.results, "_reelgate_remembers", False) or not all(
        hasattr(prefect.results, name) for name in (sync_name, async_name)
    ):
        return  # already done, or a Prefect that reads it otherwise: nothing to change
    setattr(prefect.results, sync_name, _cached(getattr(prefect.results, sync_name)))
    setattr(prefect.results, async_name, _acached(getattr(prefect.results, async_name)))
    prefect.results._reelgate_remembers = True  # type: ignore[attr-defined]
