"""An emulator of Runway's task API (``X-Runway-Version: 2024-11-06``), built with reelgate's
emulator kit.

Quirks kept: every request must carry the version header (400 without it); a create answers
``{"id", "estimatedCost"}`` and is refused with a 400 for a model, ratio or duration the model
lacks (text-to-video on gen4.5 takes only ``1280:720`` and ``720:1280``; gen4_turbo takes only
images); ``rate_limited`` creates answer 429. A task is ``THROTTLED`` for ``throttled_polls``
polls (the organisation's concurrency is full), then PENDING, RUNNING with ``progress``, and
SUCCEEDED with ``output`` URLs that expire after ``url_ttl_seconds`` (reading the task again
gives fresh ones) and ``cost.credits``. ``forbidden`` in a prompt fails the task with
``SAFETY.INPUT.TEXT``, ``[unsafe-output]`` with ``SAFETY.OUTPUT.VIDEO`` and ``[fail]`` with
``INTERNAL.BAD_OUTPUT.CODE01``. A DELETE cancels a task that has not ended and deletes one that
has (it then answers 404). Faults per operation: ``create``, ``poll``, ``cancel``, ``download``.
"""

from __future__ import annotations

import functools
import time
import uuid
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

VERSION = "2024-11-06"
WIDE = ("1280:720", "720:1280")
SHAPES = (*WIDE, "1104:832", "960:960", "832:1104", "1584:672")
VEO = (*WIDE, "1080:1920", "1920:1080")
MODELS: dict[str, dict[str, Any]] = {
    "gen4.5": {"text": WIDE, "image": SHAPES, "durations": range(2, 11), "credits": 12},
    "gen4_turbo": {"text": (), "image": SHAPES, "durations": (5, 10), "credits": 5},
    "veo3.1": {"text": VEO, "image": VEO, "durations": (4, 6, 8), "credits": 40},
    "veo3.1_fast": {"text": VEO, "image": VEO, "durations": (4, 6, 8), "credits": 15},
}
ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@dataclass
class RunwayEmulator(ProviderEmulator):
    api_secret: str = "key_runway_test_0123456789"
    polls_to_finish: int = 3
    throttled_polls: int = 0
    rate_limited: int = 0
    url_ttl_seconds: float = 600.0
    made: int = 0
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    @property
    def submissions(self) -> int:
        """Paid creates: every task the API made (deleted ones too)."""
        return self.made

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.tasks.clear()
            self.deleted.clear()
            self.made, self.polls_to_finish, self.throttled_polls = 0, 3, 0
            self.rate_limited, self.url_ttl_seconds = 0, 600.0

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "RUNWAYML_API_SECRET": self.api_secret,
            "RUNWAYML_BASE_URL": self.base_url,
            "REELGATE_RUNWAY_POLL_SECONDS": "0.05",
            **overrides,
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/text_to_video", self.create, methods=["POST"]),
                Route("/v1/image_to_video", self.create, methods=["POST"]),
                Route("/v1/tasks/{task_id}", self.poll, methods=["GET"]),
                Route("/v1/tasks/{task_id}", self.cancel, methods=["DELETE"]),
                Route("/outputs/{task_id}.mp4", self.download, methods=["GET"]),
            ]
        )

    def _refused(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.api_secret}":
            return _error(401, "Invalid API key")
        if request.headers.get("x-runway-version") != VERSION:
            return _error(400, "X-Runway-Version header is missing or invalid")
        return None

    @staticmethod
    def _invalid(body: dict[str, Any], mode: str) -> str | None:
        model = MODELS.get(str(body.get("model")))
        if model is None:
            return f"Invalid model {body.get('model')!r}"
        if body.get("ratio") not in model[mode]:
            return f"Invalid ratio {body.get('ratio')!r} for {body['model']} ({mode})"
        if body.get("duration") not in model["durations"]:
            return f"Invalid duration {body.get('duration')!r}"
        if not body.get("promptText"):
            return "promptText is required"
        if mode == "image" and not body.get("promptImage"):
            return "promptImage is required"
        return None

    @faulty("create")
    async def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        body = await request.json()
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return _error(429, "You have exceeded the rate limit")
        mode = "image" if request.url.path.endswith("image_to_video") else "text"
        invalid = self._invalid(body, mode)
        if invalid:
            return _error(400, invalid)
        credits = MODELS[body["model"]]["credits"] * body["duration"]
        with self.lock:
            task_id = str(uuid.uuid4())
            self.made += 1
            self.tasks[task_id] = {"status": "PENDING", "polls": 0, "body": body, "cost": credits}
        return JSONResponse({"id": task_id, "estimatedCost": credits})

    def _advance(self, task: dict[str, Any]) -> None:
        if task["status"] in ENDED:
            return
        task["polls"] += 1
        polls, prompt = task["polls"] - self.throttled_polls, task["body"]["promptText"]
        if polls <= 0:
            task["status"] = "THROTTLED"
        elif polls < self.polls_to_finish:
            task["status"] = "PENDING" if polls == 1 else "RUNNING"
        elif "forbidden" in prompt:
            task |= {"status": "FAILED", "code": "SAFETY.INPUT.TEXT", "why": "unsafe input"}
        elif "[unsafe-output]" in prompt:
            task |= {"status": "FAILED", "code": "SAFETY.OUTPUT.VIDEO", "why": "unsafe output"}
        elif "[fail]" in prompt:
            task |= {"status": "FAILED", "code": "INTERNAL.BAD_OUTPUT.CODE01", "why": "bad"}
        else:
            task["status"] = "SUCCEEDED"

    def _view(self, task_id: str, task: dict[str, Any]) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": task_id,
            "status": task["status"],
            "createdAt": "2026-12-03T10:00:00.000Z",
        }
        if task["status"] == "RUNNING":
            view["progress"] = round(
                task["polls"] / (self.throttled_polls + self.polls_to_finish), 2
            )
        elif task["status"] == "SUCCEEDED":
            expires = int(time.time() + self.url_ttl_seconds)
            view["output"] = [f"{self.base_url}/outputs/{task_id}.mp4?exp={expires}"]
            view["cost"] = {"credits": task["cost"]}
        elif task["status"] == "FAILED":
            view |= {"failure": task["why"], "failureCode": task["code"]}
        else:
            view["estimatedCost"] = task["cost"]
        return view

    @faulty("poll")
    async def poll(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        task_id = request.path_params["task_id"]
        task = self.tasks.get(task_id)
        if task is None:
            return _error(404, "Task not found")
        self._advance(task)
        return JSONResponse(self._view(task_id, task))

    @faulty("cancel")
    async def cancel(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        task_id = request.path_params["task_id"]
        task = self.tasks.get(task_id)
        if task is None:
            return _error(404, "Task not found")
        if task["status"] in ENDED:
            del self.tasks[task_id]  # a finished task is deleted, output and all
            self.deleted.append(task_id)
        else:
            task["status"] = "CANCELLED"
        return Response(status_code=204)

    @faulty("download")
    async def download(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["task_id"])
        if task is None or time.time() > float(request.query_params.get("exp", "0")):
            return Response(b"<Error><Code>AccessDenied</Code></Error>", status_code=403)
        return Response(_video(int(task["body"]["duration"])), media_type="video/mp4")


@functools.cache
def _video(seconds: int) -> bytes:
    """A video as long as the task asked (the core checks the length it delivers)."""
    return sample_mp4(seconds=seconds)


@pytest.fixture(scope="session")
def runway_server() -> Iterator[RunwayEmulator]:
    with serve(RunwayEmulator()) as emulator:
        yield emulator
