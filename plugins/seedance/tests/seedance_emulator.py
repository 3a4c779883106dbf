"""An emulator of BytePlus ModelArk's video tasks for Seedance, built with reelgate's kit.

Quirks kept: the task list is newest first and pages by ``page_size``; a prompt containing
``[expire]`` ends ``expired``; tasks go queued → running → succeeded over ``polls_to_finish``
polls and echo seed, resolution, ratio and duration; a finished task has a ``video_url`` that
expires after ``url_ttl_seconds`` and, when asked, a ``last_frame_url``. ``forbidden`` in the
prompt is refused at create (400 InputTextSensitiveContentDetected), ``[unsafe-output]`` fails
the task (OutputVideoSensitiveContentDetected). Faults per operation: ``create``, ``poll``,
``list``, ``download``.
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
from reelgate.testing.media import make_png, sample_mp4

TASKS = "/api/v3/contents/generations/tasks"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "type": "x"}}, status)


REFERENCE_LIMITS = {"reference_image": 9, "reference_video": 3, "reference_audio": 3}


def _invalid_content(content: list[dict[str, Any]]) -> str | None:
    """ModelArk's rules for content parts: frame roles and reference roles are exclusive, at
    most 9 image, 3 video and 3 audio references, each part's URL under its own type."""
    roles = [part.get("role") for part in content if part["type"] != "text"]
    frames = {"first_frame", "last_frame"} & set(roles)
    if frames and any(str(role).startswith("reference_") for role in roles):
        return "first/last frame and reference content cannot be combined"
    for role, most in REFERENCE_LIMITS.items():
        if roles.count(role) > most:
            return f"at most {most} {role} parts are supported"
    for part in content:
        kind = part["type"]
        if kind != "text" and not (part.get(kind) or {}).get("url"):
            return f"content part of type {kind} has no {kind}.url"
    return None


@dataclass
class SeedanceEmulator(ProviderEmulator):
    api_key: str = "ark-test-key-0123456789"
    polls_to_finish: int = 2
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
            self.url_ttl_seconds = 600.0

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "ARK_API_KEY": self.api_key,
            "ARK_BASE_URL": f"{self.base_url}/api/v3",
            "REELGATE_SEEDANCE_POLL_SECONDS": "0.05",
            "REELGATE_SEEDANCE_LOOKUP_SECONDS": "1",
            **overrides,
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(TASKS, self.create, methods=["POST"]),
                Route(TASKS, self.list_tasks, methods=["GET"]),
                Route(TASKS + "/{task_id}", self.poll, methods=["GET"]),
                Route(TASKS + "/{task_id}", self.cancel, methods=["DELETE"]),
                Route("/videos/{task_id}.mp4", self.download, methods=["GET"]),
                Route("/frames/{task_id}.png", self.frame, methods=["GET"]),
            ]
        )

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "AuthenticationError", "the API key is invalid")
        return None

    @faulty("create")
    async def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        body = await request.json()
        prompt = next(p["text"] for p in body["content"] if p["type"] == "text")
        invalid = _invalid_content(body["content"])
        if invalid:
            return _error(400, "InvalidParameter", invalid)
        if "forbidden" in prompt:
            return _error(
                400,
                "InputTextSensitiveContentDetected",
                "The request failed because the input text may contain sensitive information.",
            )
        with self.lock:
            task_id = f"cgt-2026{next(self._ids):06d}"
            self.tasks[task_id] = {
                "id": task_id,
                "model": body["model"],
                "status": "queued",
                "polls": 0,
                "prompt": prompt,
                "created_at": int(time.time()),
                "seed": body.get("seed", 42),
                "resolution": body.get("resolution", "720p"),
                "ratio": body.get("ratio", "16:9"),
                "duration": body.get("duration", 5),
                "body": body,
            }
        return JSONResponse({"id": task_id})

    def _advance(self, task: dict[str, Any]) -> None:
        if task["status"] not in ("queued", "running"):
            return
        task["polls"] += 1
        if task["polls"] < self.polls_to_finish:
            task["status"] = "running"
        elif "[expire]" in task["prompt"]:
            task["status"] = "expired"
        elif "[unsafe-output]" in task["prompt"]:
            task["status"] = "failed"
            task["error"] = {
                "code": "OutputVideoSensitiveContentDetected",
                "message": "The output video may contain sensitive information.",
            }
        else:
            task["status"] = "succeeded"

    def _shown(self, task: dict[str, Any]) -> dict[str, Any]:
        shown = {
            k: task[k]
            for k in (
                "id",
                "model",
                "status",
                "created_at",
                "seed",
                "resolution",
                "ratio",
                "duration",
            )
        }
        if task["status"] == "succeeded":
            expires = time.time() + self.url_ttl_seconds
            content = {
                "video_url": f"{self.base_url}/videos/{task['id']}.mp4?X-Expires={expires:.3f}"
            }
            if task["body"].get("return_last_frame"):
                content["last_frame_url"] = f"{self.base_url}/frames/{task['id']}.png"
            shown |= {
                "content": content,
                "usage": {"completion_tokens": 108_900, "total_tokens": 108_900},
            }
        if task.get("error"):
            shown["error"] = task["error"]
        return shown

    @faulty("poll")
    async def poll(self, request: Request) -> Response:
        refused = self._refused(request)
        task = self.tasks.get(request.path_params["task_id"])
        if refused or task is None:
            return refused or _error(404, "ResourceNotFound", "the task does not exist")
        self._advance(task)
        return JSONResponse(self._shown(task))

    @faulty("list")
    async def list_tasks(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        query = request.query_params
        size, page = int(query.get("page_size", 10)), int(query.get("page_num", 1))
        model = query.get("filter.model")
        newest = sorted(self.tasks.values(), key=lambda t: (t["created_at"], t["id"]), reverse=True)
        matching = [self._shown(t) for t in newest if model in (None, t["model"])]
        return JSONResponse(
            {"items": matching[(page - 1) * size : page * size], "total": len(matching)}
        )

    @faulty("download")
    async def download(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["task_id"])
        if task is None or time.time() > float(request.query_params.get("X-Expires", "0")):
            return Response(b"<Error><Code>AccessDenied</Code></Error>", status_code=403)
        return Response(_video(int(task["duration"])), media_type="video/mp4")

    async def frame(self, request: Request) -> Response:
        return Response(make_png(320, 180, (200, 120, 40)), media_type="image/png")

    async def cancel(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["task_id"])
        if task is None:
            return _error(404, "ResourceNotFound", "the task does not exist")
        if task["status"] != "queued":
            return _error(400, "InvalidParameter", "only a queued task can be cancelled")
        task["status"] = "cancelled"
        return JSONResponse({})


@functools.cache
def _video(seconds: int) -> bytes:
    return sample_mp4(seconds=seconds)


@pytest.fixture(scope="session")
def seedance_server() -> Iterator[SeedanceEmulator]:
    with serve(SeedanceEmulator()) as emulator:
        yield emulator
