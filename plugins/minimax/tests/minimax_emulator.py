"""An emulator of MiniMax's v1 video API (Hailuo), built with reelgate's emulator kit.

Quirks kept: errors are HTTP 200 with a non-zero ``base_resp.status_code`` (a wrong key is
1004, a prompt containing ``forbidden`` is 1026, a resolution a model lacks is 2013, and
``rate_limited`` creates answer 1002); tasks go Preparing → Queueing → Processing → Success
over ``polls_to_finish`` polls, after ``unknown_polls`` polls of ``Unknown``; a failed task
reads ``fail_word`` (``Fail`` as the query doc says, or ``Failed`` as the official CLI does);
``[fail]`` in a prompt fails the task, ``[unsafe-output]`` fails it with 1027 in the query's
``base_resp``; a task id it never made is 2013; the video comes
through ``/v1/files/retrieve``, whose ``download_url`` expires after ``url_ttl_seconds``.
Faults per operation: ``create``, ``poll``, ``retrieve``, ``download``.
"""

from __future__ import annotations

import functools
import itertools
import time
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

RESOLUTIONS = {"768P", "1080P", "512P"}


def _base(code: int = 0, message: str = "success") -> dict[str, Any]:
    return {"status_code": code, "status_msg": message}


def _refusal(code: int, message: str) -> JSONResponse:
    return JSONResponse({"task_id": "", "base_resp": _base(code, message)})


@dataclass
class MinimaxEmulator(ProviderEmulator):
    api_key: str = "mm-test-key-0123456789"
    polls_to_finish: int = 3
    unknown_polls: int = 0
    fail_word: str = "Fail"
    rate_limited: int = 0
    url_ttl_seconds: float = 600.0
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def submissions(self) -> int:
        """Paid creates: every task the API made."""
        return len(self.tasks)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.tasks.clear()
            self.polls_to_finish, self.unknown_polls = 3, 0
            self.fail_word, self.rate_limited, self.url_ttl_seconds = "Fail", 0, 600.0

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "MINIMAX_API_KEY": self.api_key,
            "MINIMAX_BASE_URL": self.base_url,
            "REELGATE_MINIMAX_POLL_SECONDS": "0.05",
            **overrides,
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/video_generation", self.create, methods=["POST"]),
                Route("/v1/query/video_generation", self.poll, methods=["GET"]),
                Route("/v1/files/retrieve", self.retrieve, methods=["GET"]),
                Route("/files/{file_id}.mp4", self.download, methods=["GET"]),
            ]
        )

    def _wrong_key(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _refusal(1004, "authorized error, wrong api key")
        return None

    @faulty("create")
    async def create(self, request: Request) -> Response:
        refused = self._wrong_key(request)
        if refused:
            return refused
        body = await request.json()
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return _refusal(1002, "rate limit exceeded(RPM)")
        if "forbidden" in body.get("prompt", ""):
            return _refusal(1026, "input new_sensitive")
        if body.get("resolution") not in RESOLUTIONS or body.get("duration") not in (6, 10):
            return _refusal(2013, "invalid params, resolution or duration")
        with self.lock:
            task_id = f"{next(self._ids):06d}"
            self.tasks[task_id] = {"status": "Preparing", "polls": 0, "body": body}
        return JSONResponse({"task_id": task_id, "base_resp": _base()})

    def _advance(self, task: dict[str, Any]) -> None:
        task["polls"] += 1
        if task["status"] not in ("Preparing", "Queueing", "Processing", "Unknown"):
            return
        if task["polls"] <= self.unknown_polls:
            task["status"] = "Unknown"
        elif task["polls"] < self.unknown_polls + self.polls_to_finish:
            task["status"] = "Queueing" if task["polls"] == 1 else "Processing"
        elif "[fail]" in task["body"]["prompt"]:
            task["status"] = self.fail_word
        elif "[unsafe-output]" in task["body"]["prompt"]:
            task |= {"status": self.fail_word, "code": 1027, "message": "output new_sensitive"}
        else:
            task["status"] = "Success"

    @faulty("poll")
    async def poll(self, request: Request) -> Response:
        refused = self._wrong_key(request)
        if refused:
            return refused
        task_id = request.query_params.get("task_id", "")
        task = self.tasks.get(task_id)
        if task is None:
            return _refusal(2013, "invalid params, task_id not found")
        self._advance(task)
        answer: dict[str, Any] = {"task_id": task_id, "status": task["status"], "file_id": ""}
        answer["base_resp"] = _base(task.get("code", 0), task.get("message", "success"))
        if task["status"] == "Success":
            answer |= {"file_id": f"f{task_id}", "video_width": 1366, "video_height": 768}
        return JSONResponse(answer)

    @faulty("retrieve")
    async def retrieve(self, request: Request) -> Response:
        refused = self._wrong_key(request)
        if refused:
            return refused
        file_id = request.query_params.get("file_id", "")
        if file_id.removeprefix("f") not in self.tasks:
            return _refusal(2013, "file not found")
        expires = int(time.time() + self.url_ttl_seconds)
        url = f"{self.base_url}/files/{file_id}.mp4?Expires={expires}"
        file = {"file_id": file_id, "bytes": 0, "filename": "output.mp4", "download_url": url}
        return JSONResponse({"file": file, "base_resp": _base()})

    @faulty("download")
    async def download(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["file_id"].removeprefix("f"))
        if task is None or time.time() > float(request.query_params.get("Expires", "0")):
            return Response(b"<Error><Code>AccessDenied</Code></Error>", status_code=403)
        return Response(_video(int(task["body"]["duration"])), media_type="video/mp4")


@functools.cache
def _video(seconds: int) -> bytes:
    """A video as long as the task asked (the core checks the length it delivers)."""
    return sample_mp4(seconds=seconds)


@pytest.fixture(scope="session")
def minimax_server() -> Iterator[MinimaxEmulator]:
    with serve(MinimaxEmulator()) as emulator:
        yield emulator
