"""reelgate beside its peers on one OpenAI-Videos-shaped emulator (the Sora plugin's), serving a
real 4 s H.264 MP4 at each size of BENCH_SIZES (default ``1080p,2160p``; ``pad`` is the old
3.2 MB padded thumbnail); every contender makes exactly one create, polls and one download per
job and writes the file. One command reproduces both tables of the throughput issue, per size:

1. per job, serial, zero provider latency (p50 over BENCH_RUNS, default 20, after 3 warm-ups):
   the openai SDK directly (the limit), LiteLLM's ``avideo_*``, reelgate as a library (the
   ``generate_video`` flow on the embedded Prefect API) and over HTTP (``POST /video/generate``
   to ``reelgate serve`` in its own process, embedded defaults);
2. BENCH_JOBS (default 20) jobs at once on a provider taking BENCH_PROVIDER_SECONDS (default 5):
   the same contenders but the library, wall time and ratio against the direct SDK
   (goal: reelgate HTTP on defaults <= 1.5x), and the API process's peak RSS meanwhile.

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
from fractions import Fraction
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-peers-"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'library-videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "library-spool"),
        "REELGATE_EXECUTOR_NAME": "bench-peers",
        "REELGATE_PLUGINS": "sora",
        "REELGATE_PREVIEWS": "false",  # the peers make none: the same work is compared
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

from bench.api_postgres import rss_of_tree  # noqa: E402
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
SERIAL_POLL_AFTER_MS = 50
"""The emulator's own poll hint, for the serial table (the 20-job table sets 500 ms)."""
SIZES = os.environ.get("BENCH_SIZES", "1080p,2160p").split(",")
FRAME_SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "2160p": (3840, 2160)}
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


def real_clip(size: str, seconds: int = 4) -> bytes:
    """A 4 s H.264 MP4 at ``size`` (moov first, a keyframe every 48 frames), of grainy moving
    content: what a provider sends."""
    import av
    import numpy as np

    width, height = FRAME_SIZES[size]
    path = ROOT / f"clip-{size}.mp4"
    rng = np.random.default_rng(5)
    base = rng.integers(0, 200, (height, width, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": "48", "preset": "ultrafast", "crf": "30"}
        for index in range(seconds * 24):
            grain = rng.integers(0, 40, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(np.roll(base, index * 8, axis=1) + grain, "rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 24)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path.read_bytes()


class PeakRss:
    """The highest RSS of a process (``peak``) and of its tree (``tree_peak``: with its
    embedded Prefect API), sampled every 20 ms while in the ``with`` block."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.tree_peak, self._task = pid, 0, 0, None

    def _sample_once(self) -> None:
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        self.peak = max(self.peak, int(line.split()[1]) * 1024)
        self.tree_peak = max(self.tree_peak, rss_of_tree(self.pid))

    async def _sample(self) -> None:
        while True:
            self._sample_once()
            await asyncio.sleep(0.02)

    async def __aenter__(self) -> PeakRss:
        self._task = asyncio.ensure_future(self._sample())  # type: ignore[assignment]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


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
        "REELGATE_PREVIEWS": "false",
    }


async def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    (ROOT / "serve-prefect").mkdir()
    with serve(SoraEmulator()) as emulator:
        os.environ.update(emulator.environ())
        api = ApiProcess(api_environment(emulator), ROOT / "serve.log").start()
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        try:
            async with httpx.AsyncClient(base_url=api.url, timeout=600, limits=limits) as client:
                await client.get("/healthz")
                for size in SIZES:
                    video = big_clip(4) if size == "pad" else real_clip(size)
                    sora_emulator.clip = lambda _seconds, video=video: video
                    await compare(size, len(video), emulator, client, api)
        finally:
            api.stop()


async def compare(
    size: str, video_bytes: int, emulator: SoraEmulator, client: httpx.AsyncClient, api: ApiProcess
) -> None:
    """Both tables for one clip size."""
    emulator.retrievals_to_finish, emulator.seconds_to_finish = 1, 0.0
    emulator.poll_after_ms = SERIAL_POLL_AFTER_MS
    paid_before = emulator.submissions
    serial = {
        "direct openai SDK": await p50(lambda: openai_direct(emulator, 1, ROOT / "direct")),
        "LiteLLM avideo_*": await p50(lambda: litellm_direct(emulator, 1, ROOT / "litellm")),
        "reelgate library": await p50(reelgate_library),
        "reelgate HTTP": await p50(lambda: reelgate_http(client, 1)),
    }
    serial_paid = emulator.submissions - paid_before
    emulator.retrievals_to_finish, emulator.seconds_to_finish = 2, PROVIDER_SECONDS
    emulator.poll_after_ms = 500
    assert api.process is not None
    async with PeakRss(api.process.pid) as rss:
        http = await reelgate_http(client, JOBS)
    at_once = {
        "direct openai SDK": await openai_direct(emulator, JOBS, ROOT / "direct"),
        "LiteLLM avideo_*": await litellm_direct(emulator, JOBS, ROOT / "litellm"),
        "reelgate HTTP defaults": http,
    }
    at_once_paid = emulator.submissions - paid_before - serial_paid
    limit = serial["direct openai SDK"]
    print(
        f"{size}: per job, serial, zero provider latency, {video_bytes / 1e6:.1f} MB video "
        f"(p50 of {RUNS})"
    )
    for name, seconds in serial.items():
        print(f"  {name:24} {seconds * 1000:7.1f} ms   +{(seconds - limit) * 1000:6.1f} ms")
    print(f"  goal: library <= +100 ms, HTTP <= +120 ms; {serial_paid} creates in all")
    base = at_once["direct openai SDK"]
    print(f"{size}: {JOBS} jobs at once, provider {PROVIDER_SECONDS:g} s ({at_once_paid} creates)")
    for name, seconds in at_once.items():
        print(f"  {name:24} {seconds:6.2f} s   {seconds / base:.2f}x")
    print(
        f"  goal: reelgate HTTP defaults <= 1.5x; API peak RSS {rss.peak / 2**20:.0f} MiB "
        "(goal <= 600 MiB)",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
