"""An emulator of DashScope's video API for Wan, built with reelgate's emulator kit.

Quirks kept: a create without ``X-DashScope-Async: enable`` is refused; a task reads
``UNKNOWN`` for its first ``unknown_polls`` polls (as a task not yet visible, or past its
24 h, does); tasks go PENDING → RUNNING → SUCCEEDED over ``polls_to_finish`` polls; video URLs
expire after ``url_ttl_seconds``; the task list pages by ``page_size``. A prompt containing
``forbidden`` is refused at create (400 DataInspectionFailed), ``[unsafe-output]`` fails the
task with DataInspectionFailed and ``[fail]`` with InternalError. Faults per operation:
``create``, ``poll``, ``list``, ``download``.
"""

from __future__ import annotations

import datetime
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

CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"request_id": "r", "code": code, "message": message}, status_code=status)


@dataclass
class WanEmulator(ProviderEmulator):
    api_key: str = "sk-wan-test-0123456789"
    polls_to_finish: int = 2
    unknown_polls: int = 0
    url_ttl_seconds: float = 600.0
    list_page_size_limit: int = 100
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
            self.unknown_polls = 0
            self.url_ttl_seconds = 600.0
            self.polls_to_finish = 2

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "DASHSCOPE_API_KEY": self.api_key,
            "DASHSCOPE_BASE_URL": f"{self.base_url}/api/v1",
            "REELGATE_WAN_POLL_SECONDS": "0.05",
            "REELGATE_WAN_LOOKUP_SECONDS": "1",
            **overrides,
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(CREATE, self.create, methods=["POST"]),
                Route("/api/v1/tasks", self.list_tasks, methods=["GET"]),
                Route("/api/v1/tasks/{task_id}", self.poll, methods=["GET"]),
                Route("/api/v1/tasks/{task_id}/cancel", self.cancel, methods=["POST"]),
                Route("/videos/{task_id}.mp4", self.download, methods=["GET"]),
            ]
        )

    def _refused(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "InvalidApiKey", "Invalid API-key provided.")
        return None

    @faulty("create")
    async def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        if request.headers.get("x-dashscope-async") != "enable":
            return _error(
                403, "AccessDenied", "current user api does not support synchronous calls"
            )
        body = await request.json()
        prompt = body["input"].get("prompt", "")
        if "forbidden" in prompt:
            return _error(
                400, "DataInspectionFailed", "Input data may contain inappropriate content."
            )
        with self.lock:
            task_id = f"task-{next(self._ids):04d}"
            self.tasks[task_id] = {
                "task_id": task_id,
                "task_status": "PENDING",
                "polls": 0,
                "model": body["model"],
                "prompt": prompt,
                "seed": body["parameters"].get("seed"),
                "duration": body["parameters"].get("duration", 5),
                "submitted": time.time(),
                "body": body,
            }
        return JSONResponse(
            {"request_id": "r", "output": {"task_id": task_id, "task_status": "PENDING"}}
        )

    def _advance(self, task: dict[str, Any]) -> None:
        if task["task_status"] not in ("PENDING", "RUNNING"):
            return
        task["polls"] += 1
        if task["polls"] < self.polls_to_finish:
            task["task_status"] = "RUNNING"
            return
        if "[unsafe-output]" in task["prompt"]:
            task |= {
                "task_status": "FAILED",
                "code": "DataInspectionFailed",
                "message": "Output data may contain inappropriate content.",
            }
        elif "[fail]" in task["prompt"]:
            task |= {"task_status": "FAILED", "code": "InternalError", "message": "render failed"}
        else:
            task["task_status"] = "SUCCEEDED"

    def _output(self, task: dict[str, Any]) -> dict[str, Any]:
        output = {
            "task_id": task["task_id"],
            "task_status": task["task_status"],
            "submit_time": _time(task["submitted"]),
            "orig_prompt": task["prompt"],
        }
        if task["task_status"] == "SUCCEEDED":
            expires = time.time() + self.url_ttl_seconds
            output["video_url"] = (
                f"{self.base_url}/videos/{task['task_id']}.mp4?Expires={expires:.3f}"
            )
        if task["task_status"] == "FAILED":
            output |= {"code": task["code"], "message": task["message"]}
        return output

    @faulty("poll")
    async def poll(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        task = self.tasks.get(request.path_params["task_id"])
        if task is None or (
            task["polls"] < self.unknown_polls
            and task.setdefault("unknown", 0) < self.unknown_polls
        ):
            if task is not None:
                task["unknown"] += 1
            output = {"task_id": request.path_params["task_id"], "task_status": "UNKNOWN"}
            return JSONResponse({"request_id": "r", "output": output})
        self._advance(task)
        usage = {"video_duration": task["duration"], "video_count": 1}
        done = task["task_status"] == "SUCCEEDED"
        return JSONResponse(
            {"request_id": "r", "output": self._output(task), "usage": usage if done else {}}
        )

    @faulty("list")
    async def list_tasks(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        query = request.query_params
        size = min(int(query.get("page_size", 10)), self.list_page_size_limit)
        page = int(query.get("page_no", 1))
        start, end = query.get("start_time", "0"), query.get("end_time", "99999999999999")
        matching = [
            {**self._output(t), "model_name": t["model"], "seed": t["seed"]}
            for t in self.tasks.values()
            if t["model"] == query.get("model_name", t["model"])
            and start <= _stamp(t["submitted"]) <= end
        ]
        items = matching[(page - 1) * size : page * size]
        return JSONResponse(
            {
                "request_id": "r",
                "data": items,
                "total": len(matching),
                "page_no": page,
                "page_size": size,
            }
        )

    @faulty("download")
    async def download(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["task_id"])
        expires = float(request.query_params.get("Expires", "0"))
        if task is None or time.time() > expires:
            return Response(b"<Error><Code>AccessDenied</Code></Error>", status_code=403)
        return Response(_video(int(task["duration"])), media_type="video/mp4")

    async def cancel(self, request: Request) -> Response:
        task = self.tasks.get(request.path_params["task_id"])
        if task is None:
            return _error(404, "InvalidParameter", "task not found")
        if task["task_status"] != "PENDING":
            return _error(400, "UnsupportedOperation", "only PENDING tasks can be canceled")
        task["task_status"] = "CANCELED"
        return JSONResponse({"request_id": "r"})


@functools.cache
def _video(seconds: int) -> bytes:
    """A video as long as the task asked (the core checks the length it delivers)."""
    return sample_mp4(seconds=seconds)


def _time(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[
        :-3
    ]


def _stamp(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y%m%d%H%M%S")


@pytest.fixture(scope="session")
def wan_server() -> Iterator[WanEmulator]:
    with serve(WanEmulator()) as emulator:
        yield emulator
