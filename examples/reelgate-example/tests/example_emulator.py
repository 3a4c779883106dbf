"""An emulator of the Example Video API, built with reelgate's emulator kit.

Jobs move queued → running → succeeded over ``polls_to_finish`` polls; a prompt containing
``forbidden`` is refused at create (422, policy) and ``[fail]`` fails the job. A repeated
``Idempotency-Key`` answers the job it created. Faults are queued per operation: ``create``,
``poll``, ``download``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelgate.testing.emulator import ProviderEmulator, faulty, serve
from reelgate.testing.media import sample_mp4


@dataclass
class ExampleEmulator(ProviderEmulator):
    api_key: str = "ex-test-key-0123456789"
    polls_to_finish: int = 2
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def submissions(self) -> int:
        return len(self.jobs)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.jobs.clear()
            self.by_key.clear()

    def environ(self, **overrides: str) -> dict[str, str]:
        return {"EXAMPLE_API_KEY": self.api_key, "EXAMPLE_BASE_URL": self.base_url, **overrides}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/jobs", self.create, methods=["POST"]),
                Route("/v1/jobs/{job_id}", self.poll, methods=["GET"]),
                Route("/v1/jobs/{job_id}/content", self.download, methods=["GET"]),
                Route("/v1/jobs/{job_id}/cancel", self.cancel, methods=["POST"]),
            ]
        )

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"error": {"message": "invalid key"}}, status_code=401)
        return None

    @faulty("create")
    async def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        body = await request.json()
        if "forbidden" in body["prompt"]:
            return JSONResponse({"error": {"message": "content policy"}}, status_code=422)
        key = request.headers.get("idempotency-key")
        with self.lock:
            if key and key in self.by_key:
                return JSONResponse(self.jobs[self.by_key[key]])
            job_id = f"job_{next(self._ids)}"
            self.jobs[job_id] = {"id": job_id, "status": "queued", "polls": 0, **body}
            if key:
                self.by_key[key] = job_id
        return JSONResponse(self.jobs[job_id], status_code=201)

    @faulty("poll")
    async def poll(self, request: Request) -> Response:
        refused = self._refused(request)
        job = self.jobs.get(request.path_params["job_id"])
        if refused or job is None:
            return refused or JSONResponse({"error": {"message": "no such job"}}, 404)
        if job["status"] in ("queued", "running"):
            job["polls"] += 1
            done = job["polls"] >= self.polls_to_finish
            failed = "[fail]" in job["prompt"]
            job["status"] = ("failed" if failed else "succeeded") if done else "running"
            job["error"] = "the renderer crashed" if failed else None
            job["progress"] = 1.0 if done else job["polls"] / self.polls_to_finish
        return JSONResponse(job)

    @faulty("download")
    async def download(self, request: Request) -> Response:
        job = self.jobs.get(request.path_params["job_id"])
        if job is None or job["status"] != "succeeded":
            return JSONResponse({"error": {"message": "no video"}}, status_code=404)
        return Response(sample_mp4(seconds=1), media_type="video/mp4")

    async def cancel(self, request: Request) -> Response:
        job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"error": {"message": "no such job"}}, status_code=404)
        if job["status"] in ("queued", "running"):
            job["status"] = "cancelled"
        return JSONResponse(job)


@pytest.fixture(scope="session")
def example_server() -> Iterator[ExampleEmulator]:
    """The Example Video emulator on loopback, shared by the session."""
    with serve(ExampleEmulator()) as emulator:
        yield emulator
