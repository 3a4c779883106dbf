"""Peak RSS growth while a 500 MB provider stream is spooled and stored to S3 (moto's server in
its own process on loopback), against the hand-rolled way: bytes collected in memory and sent
with one put_object. Goal: growth ≤ 64 MB."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procstat import PeakRss
from reelgate_flows.settings import Settings
from reelgate_flows.spool import Spool
from reelgate_flows.storage.factory import storage_from_url
from tests.support import free_port, wait_for_port

TOTAL, CHUNK = 500 * 1024 * 1024, 1024 * 1024


async def provider_stream() -> AsyncIterator[bytes]:
    block = os.urandom(CHUNK)
    for _ in range(TOTAL // CHUNK):
        yield block


def main() -> None:
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        )
        client = boto3.client("s3")
        client.create_bucket(Bucket="bench")
        settings = Settings(storage_url="s3://bench/v")
        storage = storage_from_url(settings.storage_url, settings)
        with tempfile.TemporaryDirectory() as tmp:
            spool = Spool(Path(tmp))
            path = spool.path("bench", "job", "video")
            with PeakRss() as ours:
                start = time.perf_counter()
                asyncio.run(spool.fill(path, provider_stream(), TOTAL + 1))
                stored = storage.put(path, "customers/b/assets/video/x.mp4")
                ours_seconds = time.perf_counter() - start
            assert stored.size_bytes == TOTAL
            path.unlink()

        async def collect() -> bytes:
            return b"".join([chunk async for chunk in provider_stream()])

        with PeakRss() as naive:
            start = time.perf_counter()
            client.put_object(Bucket="bench", Key="naive.mp4", Body=asyncio.run(collect()))
            naive_seconds = time.perf_counter() - start
    finally:
        moto.terminate()
        moto.wait()
    mib = 1024 * 1024
    print(f"storing a {TOTAL // mib} MiB stream to S3 (moto server on loopback)")
    print(
        f"  reelgate spool + multipart  peak RSS growth {ours.growth / mib:7.1f} MiB"
        f"  in {ours_seconds:5.1f} s"
    )
    print(
        f"  in memory + put_object      peak RSS growth {naive.growth / mib:7.1f} MiB"
        f"  in {naive_seconds:5.1f} s"
    )
    print(f"  ratio reelgate / in-memory  {ours.growth / naive.growth:7.3f}")


if __name__ == "__main__":
    main()
