"""1,000 async jobs in flight against a provider that takes 60 s, with the API on a Prefect
server backed by PostgreSQL (127.0.0.1:5432, a fresh database per run). Prints the API
process's peak RSS (with the Prefect server's), its CPU while the jobs wait, and how many jobs
were lost. Goals: RSS ≤ 1.5 GB, CPU ≤ 25 % of a core while waiting, no job lost.
Baseline in the same run: the Prefect server's own RSS and CPU when idle before the burst."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-pg-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procstat import tree_cpu_seconds  # noqa: E402
from tests.prefect_server import PrefectServer  # noqa: E402

JOBS, PROVIDER_SECONDS = int(os.environ.get("BENCH_JOBS", "1000")), 60.0


def rss_of_tree(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += (
                int(
                    next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[
                        1
                    ]
                )
                * 1024
            )
            for task in Path(f"/proc/{current}/task").glob("*"):
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total


def main() -> None:
    server = PrefectServer(ROOT / "server", fast_scheduler=False)
    server.start()
    os.environ.update(
        {
            "PREFECT_API_URL": server.api_url,
            "PREFECT_HOME": str(ROOT / "client"),
            "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
            "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
            "REELGATE_POLL_MAX_SECONDS": "15",
        }
    )
    (ROOT / "client").mkdir()
    try:
        run(server.process.pid)  # type: ignore[union-attr]
    finally:
        server.stop()


class SlowProvider:
    """Every job succeeds ``PROVIDER_SECONDS`` after it was submitted."""

    def __init__(self) -> None:
        from reelgate.testing.fake import FAKE_MODEL

        self.spec = FAKE_MODEL
        self.submissions = 0

    def plugin(self) -> object:
        from reelgate import ProviderJob, Running, Submission, Succeeded, VideoRef, hookimpl
        from reelgate.testing import clip

        provider = self

        class Plugin:
            @hookimpl
            def reelgate_models(self) -> Sequence[object]:
                return [provider.spec]

            @hookimpl
            async def reelgate_generate(
                self, model: object, request: object, ctx: object
            ) -> Submission:
                provider.submissions += 1
                return Submission(
                    provider_job_id=uuid.uuid4().hex,
                    state={"ready_at": time.time() + PROVIDER_SECONDS},
                )

            @hookimpl
            async def reelgate_poll(self, job: ProviderJob, ctx: object) -> object:
                if time.time() < float(str(job.state["ready_at"])):
                    return Running(poll_after_seconds=15)
                return Succeeded(
                    videos=[VideoRef(provider_video_id=job.provider_job_id, duration_seconds=1.0)]
                )

            @hookimpl
            async def reelgate_download(
                self, job: ProviderJob, video: object, ctx: object
            ) -> AsyncIterator[bytes]:
                yield clip(1)

            @hookimpl
            async def reelgate_generate_from_image(
                self, model: object, request: object, image: object, ctx: object
            ) -> Submission:
                raise NotImplementedError

            @hookimpl
            async def reelgate_extend(
                self, model: object, request: object, video: object, ctx: object
            ) -> Submission:
                raise NotImplementedError

            @hookimpl
            async def reelgate_cancel(self, job: ProviderJob, ctx: object) -> None:
                return None

        return Plugin()


def run(server_pid: int) -> None:
    import httpx

    import reelgate_api  # noqa: F401  (lean Prefect defaults first)
    from reelgate.runtimes import build_runtime, set_runtime
    from reelgate.testing.emulator import BackgroundServer
    from reelgate_api.http.app import create_app
    from reelgate_api.settings import ApiSettings

    provider = SlowProvider()
    set_runtime(
        build_runtime(
            environ={**os.environ, "REELGATE_PLUGINS": ""},
            extra_plugins=[("slow", provider.plugin())],
        )
    )
    idle_cpu = tree_cpu_seconds(server_pid)
    time.sleep(5)
    idle_cpu = (tree_cpu_seconds(server_pid) - idle_cpu) / 5
    server_idle_rss = rss_of_tree(server_pid)
    app = create_app(ApiSettings(max_running_jobs=JOBS))
    payload = {
        "prompt": "slow",
        "customer_id": "bench",
        "settings": {"video": {"model": "fake", "duration_seconds": 1}},
    }
    peak_rss, me = 0, os.getpid()
    with BackgroundServer(app, lifespan="on") as api:

        async def burst() -> list[str]:
            limits = httpx.Limits(max_connections=50)
            async with httpx.AsyncClient(timeout=300, limits=limits) as client:
                answers = await asyncio.gather(
                    *(client.post(f"{api.url}/video/jobs", json=payload) for _ in range(JOBS))
                )
            assert {a.status_code for a in answers} == {202}, {a.status_code for a in answers}
            return [a.json()["data"]["job_id"] for a in answers]

        started = time.monotonic()
        job_ids = asyncio.run(burst())
        accepted_in = time.monotonic() - started
        while provider.submissions < JOBS and time.monotonic() - started < 600:
            peak_rss = max(peak_rss, rss_of_tree(me) + rss_of_tree(server_pid))
            time.sleep(1)
        all_in_flight = time.monotonic() - started
        waiting_from, cpu_from = (
            time.monotonic(),
            tree_cpu_seconds(me) + tree_cpu_seconds(server_pid),
        )
        time.sleep(20)
        waiting_cpu = (tree_cpu_seconds(me) + tree_cpu_seconds(server_pid) - cpu_from) / (
            time.monotonic() - waiting_from
        )
        peak_rss = max(peak_rss, rss_of_tree(me) + rss_of_tree(server_pid))

        async def outcomes() -> dict[str, int]:
            counts: dict[str, int] = {}
            deadline = time.monotonic() + 900
            pending = set(job_ids)
            async with httpx.AsyncClient(timeout=60) as client:
                while pending and time.monotonic() < deadline:
                    for job_id in list(pending):
                        view = (await client.get(f"{api.url}/video/jobs/{job_id}")).json()
                        if view["status"] in ("succeeded", "failed", "cancelled"):
                            counts[view["status"]] = counts.get(view["status"], 0) + 1
                            pending.discard(job_id)
                    await asyncio.sleep(2)
            counts["unfinished"] = len(pending)
            return counts

        counts = asyncio.run(outcomes())
        total = time.monotonic() - started
    mib = 1024 * 1024
    print(f"{JOBS} jobs, provider {PROVIDER_SECONDS:.0f} s, Prefect server on PostgreSQL")
    print(
        f"  accepted (202) in {accepted_in:.1f} s; all submitted to the provider after "
        f"{all_in_flight:.1f} s; all ended after {total:.1f} s"
    )
    print(
        f"  peak RSS API + Prefect server {peak_rss / mib:.0f} MiB (server idle "
        f"{server_idle_rss / mib:.0f} MiB); goal <= 1536 MiB"
    )
    print(
        f"  CPU while the jobs wait {waiting_cpu * 100:.1f} % of a core (server idle "
        f"{idle_cpu * 100:.1f} %); goal <= 25 %"
    )
    print(f"  outcomes {counts}; provider submissions {provider.submissions}")


if __name__ == "__main__":
    main()
