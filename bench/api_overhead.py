"""The HTTP API's own cost, against baselines measured in the same run:
- requests per second of a 400 answer from ``POST /video/generate`` against a bare Litestar
  handler answering 400 (goal ≥ 50 %);
- ``GET /healthz`` p99 while 100 jobs run (goal ≤ 50 ms);
- added latency of a sync ``POST /video/generate`` over calling the flow directly, with a
  zero-work provider.
Both servers run under uvicorn on loopback; the client is httpx with 8 connections."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-api-"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
        "REELGATE_POLL_MIN_SECONDS": "0.05",
    }
)
(ROOT / "prefect").mkdir()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from litestar import Litestar, post  # noqa: E402
from litestar.exceptions import HTTPException  # noqa: E402

import reelgate_api  # noqa: E402, F401  (lean Prefect defaults first)
from reelgate.jobs import Running  # noqa: E402
from reelgate.requests import GenerateRequest  # noqa: E402
from reelgate.runtimes import build_runtime, set_runtime  # noqa: E402
from reelgate.testing import FakeProvider  # noqa: E402
from reelgate.testing.emulator import BackgroundServer  # noqa: E402
from reelgate_api.http.app import create_app  # noqa: E402
from reelgate_api.settings import ApiSettings  # noqa: E402
from reelgate_flows.flows import generate_video  # noqa: E402

REQUESTS, CONNECTIONS = 2000, 8
BAD = {"prompt": "", "customer_id": "bench"}
GOOD = {
    "prompt": "zero work",
    "customer_id": "bench",
    "settings": {"video": {"model": "fake", "duration_seconds": 1}},
}


@post("/video/generate", status_code=400)
async def bare(data: dict[str, object]) -> None:
    raise HTTPException(status_code=400, detail="prompt must not be empty")


async def rate(url: str) -> float:
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                response = await client.post(url, json=BAD)
                assert response.status_code == 400

        start = time.perf_counter()
        await asyncio.gather(*(worker(REQUESTS // CONNECTIONS) for _ in range(CONNECTIONS)))
        return REQUESTS / (time.perf_counter() - start)


async def health_under_load(base: str, provider: FakeProvider) -> tuple[float, float, int]:
    provider.poll_script = [Running(progress=0.5, poll_after_seconds=0.2)] * 400
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        jobs = await asyncio.gather(
            *(client.post(f"{base}/video/jobs", json=GOOD) for _ in range(100))
        )
        ids = [job.json()["data"]["job_id"] for job in jobs]
        pending = set(ids)
        while pending:
            start = time.perf_counter()
            await client.get(f"{base}/healthz")
            latencies.append(time.perf_counter() - start)
            for job_id in list(pending)[:5]:
                view = (await client.get(f"{base}/video/jobs/{job_id}")).json()
                if view["status"] in ("succeeded", "failed"):
                    pending.discard(job_id)
            await asyncio.sleep(0.02)
    latencies.sort()
    return latencies[int(len(latencies) * 0.99) - 1], statistics.median(latencies), len(latencies)


async def sync_latency(base: str, runs: int = 20) -> tuple[float, float]:
    direct, over_http = [], []
    request = GenerateRequest.model_validate(GOOD)
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(runs):
            start = time.perf_counter()
            await generate_video(request)
            direct.append(time.perf_counter() - start)
            start = time.perf_counter()
            answer = await client.post(f"{base}/video/generate", json=GOOD)
            assert answer.status_code == 200, answer.text
            over_http.append(time.perf_counter() - start)
    return statistics.median(direct), statistics.median(over_http)


def main() -> None:
    provider = FakeProvider()
    set_runtime(build_runtime(extra_plugins=[("fake", provider)]))
    app = create_app(ApiSettings(max_running_jobs=2))
    with BackgroundServer(Litestar([bare])) as plain, BackgroundServer(app, lifespan="on") as api:
        ours, theirs = (
            asyncio.run(rate(f"{api.url}/video/generate")),
            asyncio.run(rate(f"{plain.url}/video/generate")),
        )
        p99, median, samples = asyncio.run(health_under_load(api.url, provider))
        provider.poll_script = []
        direct, over_http = asyncio.run(sync_latency(api.url))
    print(
        f"400 answers: reelgate {ours:7.0f} req/s, bare Litestar {theirs:7.0f} req/s, "
        f"ratio {ours / theirs:.2f} (goal >= 0.50)"
    )
    print(
        f"GET /healthz while 100 jobs run: p99 {p99 * 1000:.1f} ms, median "
        f"{median * 1000:.1f} ms over {samples} requests (goal p99 <= 50 ms)"
    )
    print(
        f"sync generate, zero-work provider: flow called directly {direct * 1000:.0f} ms, "
        f"over HTTP {over_http * 1000:.0f} ms, added {(over_http - direct) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
