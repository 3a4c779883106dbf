"""reelgate beside its peers on one OpenAI-Videos-shaped emulator (the Sora plugin's), serving a
4 s MP4 of 3.2 MB; every contender makes exactly one create, polls and one download per job and
writes the file. One command reproduces both tables of the throughput issue:

1. per job, serial, zero provider latency (p50 over BENCH_RUNS, default 20, after 3 warm-ups):
   the openai SDK directly (the limit), LiteLLM's ``avideo_*``, reelgate as a library (the
   ``generate_video`` flow on the embedded Prefect API) and over HTTP (``POST /video/generate``
   to ``reelgate serve`` in its own process, embedded defaults);
2. BENCH_JOBS (default 20) jobs at once on a provider taking BENCH_PROVIDER_SECONDS (default 5):
   the same contenders but the library, wall time and ratio against the direct SDK
   (goal: reelgate HTTP on defaults <= 1.3x).

LiteLLM comes from the ``bench`` dependency group:
``.bin/venv/bin/uv sync --locked --group bench`` (``make test`` does not install it).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import struct
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-peers-"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'library-videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "library-spool"),
        "REELGATE_EXECUTOR_NAME": "bench-peers",
        "REELGATE_PLUGINS": "sora",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch of LiteLLM's price list at import
    }
)
(ROOT / "prefect").mkdir()
BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "plugins" / "sora" / "tests")]

from reelgate_flows.embedded_api import own_prefect_api  # noqa: E402
from reelgate_flows.prefect_env import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()  # as the reelgate command does, before Prefect is imported

own_prefect_api()  # the library contender's Prefect API, as `reelgate serve` starts its own

import httpx  # noqa: E402
import litellm  # noqa: E402
import sora_emulator  # noqa: E402
from sora_emulator import SoraEmulator  # noqa: E402

from bench.openai_direct import openai_direct  # noqa: E402
from reelgate.requests import GenerateRequest  # noqa: E402
from reelgate.testing.emulator import serve  # noqa: E402
from reelgate.testing.media import sample_mp4  # noqa: E402
from reelgate_flows.flows import generate_video  # noqa: E402
from tests.processes import ApiProcess  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WARMUP = 3
JOBS = int(os.environ.get("BENCH_JOBS", "20"))
PROVIDER_SECONDS = float(os.environ.get("BENCH_PROVIDER_SECONDS", "5"))
VIDEO_BYTES = 3_200_000
BODY = {
    "prompt": "peer",
    "customer_id": "bench",
    "settings": {"video": {"model": "sora-2", "duration_seconds": 4, "resolution": "720p"}},
}


def big_clip(seconds: float) -> bytes:
    """A playable MP4 of ``seconds`` padded with a ``free`` box to VIDEO_BYTES, the size of a
    real 4 s 720p clip, so transfer and storing cost what they cost in production."""
    video = sample_mp4(max(1, round(seconds)), 160, 96, 12)
    missing = max(8, VIDEO_BYTES - len(video))
    return video + struct.pack(">I", missing) + b"free" + bytes(missing - 8)


async def litellm_direct(emulator: SoraEmulator, jobs: int, out: Path) -> float:
    """What a script does with LiteLLM's video API: create, poll status at the provider's
    pace, download, write the file. Returns the wall seconds for ``jobs`` at once."""
    base, key = f"{emulator.base_url}/v1", emulator.api_key
    pause = (emulator.poll_after_ms or 1000) / 1000
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)

    async def one(index: int) -> None:
        video = await litellm.avideo_generation(
            prompt=f"litellm {index}",
            model="openai/sora-2",
            seconds="4",
            size="1280x720",
            api_base=base,
            api_key=key,
        )
        while video.status not in ("completed", "failed"):
            await asyncio.sleep(pause)
            video = await litellm.avideo_status(video_id=video.id, api_base=base, api_key=key)
        content = await litellm.avideo_content(video_id=video.id, api_base=base, api_key=key)
        (out / f"{index}.mp4").write_bytes(content)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(jobs)))
    return time.perf_counter() - began


async def reelgate_http(client: httpx.AsyncClient, jobs: int) -> float:
    """``jobs`` concurrent ``POST /video/generate``; every one must answer 200."""

    async def one(index: int) -> None:
        answer = await client.post("/video/generate", json={**BODY, "prompt": f"http {index}"})
        if answer.status_code != 200:
            raise RuntimeError(f"reelgate answered {answer.status_code}: {answer.text}")

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(jobs)))
    return time.perf_counter() - began


async def reelgate_library() -> float:
    began = time.perf_counter()
    await generate_video(GenerateRequest.model_validate(BODY))
    return time.perf_counter() - began


async def p50(run: Callable[[], Awaitable[float]]) -> float:
    for _ in range(WARMUP):
        await run()
    return statistics.median([await run() for _ in range(RUNS)])


def api_environment(emulator: SoraEmulator) -> dict[str, str]:
    return {
        **emulator.environ(),
        "PREFECT_HOME": str(ROOT / "serve-prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'http-videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "http-spool"),
        "REELGATE_EXECUTOR_NAME": "bench-peers-http",
        "REELGATE_PLUGINS": "sora",
    }


async def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    sora_emulator.clip = big_clip  # the emulator's content route serves this
    (ROOT / "serve-prefect").mkdir()
    with serve(SoraEmulator()) as emulator:
        os.environ.update(emulator.environ())
        api = ApiProcess(api_environment(emulator), ROOT / "serve.log").start()
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        try:
            async with httpx.AsyncClient(base_url=api.url, timeout=600, limits=limits) as client:
                await client.get("/healthz")
                emulator.retrievals_to_finish, emulator.seconds_to_finish = 1, 0.0
                serial = {
                    "direct openai SDK": await p50(
                        lambda: openai_direct(emulator, 1, ROOT / "direct")
                    ),
                    "LiteLLM avideo_*": await p50(
                        lambda: litellm_direct(emulator, 1, ROOT / "litellm")
                    ),
                    "reelgate library": await p50(reelgate_library),
                    "reelgate HTTP": await p50(lambda: reelgate_http(client, 1)),
                }
                serial_paid = emulator.submissions
                emulator.retrievals_to_finish, emulator.seconds_to_finish = 2, PROVIDER_SECONDS
                emulator.poll_after_ms = 500
                at_once = {
                    "direct openai SDK": await openai_direct(emulator, JOBS, ROOT / "direct"),
                    "LiteLLM avideo_*": await litellm_direct(emulator, JOBS, ROOT / "litellm"),
                    "reelgate HTTP defaults": await reelgate_http(client, JOBS),
                }
        finally:
            api.stop()
        at_once_paid = emulator.submissions - serial_paid
    limit = serial["direct openai SDK"]
    print(
        f"per job, serial, zero provider latency, {VIDEO_BYTES / 1e6:.1f} MB video (p50 of {RUNS})"
    )
    for name, seconds in serial.items():
        print(f"  {name:24} {seconds * 1000:7.1f} ms   +{(seconds - limit) * 1000:6.1f} ms")
    print(f"  goal: library <= +100 ms, HTTP <= +120 ms; {serial_paid} creates in all")
    base = at_once["direct openai SDK"]
    print(f"{JOBS} jobs at once, provider {PROVIDER_SECONDS:g} s ({at_once_paid} creates in all)")
    for name, seconds in at_once.items():
        print(f"  {name:24} {seconds:6.2f} s   {seconds / base:.2f}x")
    print("  goal: reelgate HTTP defaults <= 1.3x")


if __name__ == "__main__":
    asyncio.run(main())
