"""An emulator of the KlingAI video API (WIRE.md §3): JWT auth, the ``{code, message,
request_id, data}`` envelope, text2video / image2video / video-extend tasks moving
submitted → processing → succeed | failed, lookup by ``external_task_id``, the error codes of
§3.6, a concurrency limit, and result videos served from ``/cdn/{id}.mp4``.

Outcomes by prompt: ``forbidden`` → 400/1301 at create; ``[risky]`` → task fails with a
content risk-control message; ``[fail]`` → task fails; ``[never]`` → never finishes.
Faults (``reelgate.testing.emulator``) are queued per operation: ``create``, ``query``,
``download``.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelgate.testing.emulator import ProviderEmulator, faulty, serve
from reelgate.testing.media import clip

MODELS = {
    "text2video": {
        "kling-v1",
        "kling-v1-6",
        "kling-v2-master",
        "kling-v2-1-master",
        "kling-v2-5-turbo",
        "kling-v2-6",
        "kling-v3",
    },
    "image2video": {
        "kling-v1",
        "kling-v1-5",
        "kling-v1-6",
        "kling-v2-master",
        "kling-v2-1",
        "kling-v2-1-master",
        "kling-v2-5-turbo",
        "kling-v2-6",
        "kling-v3",
    },
}
EXTENDABLE = {"kling-v1", "kling-v1-6"}


@dataclass
class Task:
    task_id: str
    kind: str
    model: str
    prompt: str
    external_task_id: str
    duration: str
    queries: int = 0
    accepted_at: float = field(default_factory=time.monotonic)
    status: str = "submitted"
    status_msg: str = ""
    video_id: str | None = None
    created_at: int = 1_764_000_000_000

    def as_data(self, base_url: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "task_id": self.task_id,
            "task_status": self.status,
            "task_status_msg": self.status_msg,
            "task_info": {"external_task_id": self.external_task_id},
            "created_at": self.created_at,
            "updated_at": self.created_at + self.queries,
        }
        if self.status == "succeed":
            data["task_result"] = {
                "videos": [
                    {
                        "id": self.video_id,
                        "url": f"{base_url}/cdn/{self.video_id}.mp4",
                        "duration": self.duration,
                    }
                ]
            }
        return data


@dataclass
class KlingEmulator(ProviderEmulator):
    access_key: str = "ak-test-0123456789abcdef0123456789abcdef"
    secret_key: str = "sk-test-0123456789abcdef0123456789abcdef"
    queries_to_finish: int = 2
    seconds_to_finish: float = 0.0
    """A task also stays in processing until this long after it was accepted."""
    max_concurrent: int = 100
    tasks: dict[str, Task] = field(default_factory=dict)
    peak_in_flight: int = 0
    """The most tasks accepted and not yet finished at any moment."""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(860_000_000_000_000_001))

    @property
    def submissions(self) -> int:
        """Tasks accepted (each one paid)."""
        return len(self.tasks)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.tasks.clear()
            self.bodies.clear()
            self.peak_in_flight = 0
            self.queries_to_finish = 2
            self.seconds_to_finish = 0.0

    def environ(self, **overrides: str) -> dict[str, str]:
        """The settings that point the kling plugin at this emulator."""
        return {
            "KLING_ACCESS_KEY": self.access_key,
            "KLING_SECRET_KEY": self.secret_key,
            "KLING_BASE_URL": self.base_url,
            **overrides,
        }

    @property
    def in_flight(self) -> int:
        return sum(1 for t in self.tasks.values() if t.status not in ("succeed", "failed"))

    def subject(self, request: Request) -> str:
        params = request.path_params
        return str(params.get("kind") or params.get("video_id", ""))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/videos/{kind}", self.create, methods=["POST"]),
                Route("/v1/videos/{kind}/{task_id}", self.query, methods=["GET"]),
                Route("/cdn/{video_id}.mp4", self.download, methods=["GET"]),
            ]
        )

    # envelope -----------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse(
            {"code": code, "message": message, "request_id": str(uuid.uuid4())}, status_code=status
        )

    @staticmethod
    def _ok(data: Any) -> JSONResponse:
        return JSONResponse(
            {"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()), "data": data}
        )

    def _auth(self, request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        if not header:
            return self._error(401, 1001, "Authorization is empty")
        if not header.startswith("Bearer "):
            return self._error(401, 1002, "Authorization is invalid")
        try:
            claims = jwt.decode(
                header[7:],
                self.secret_key,
                algorithms=["HS256"],
                options={"require": ["iss", "exp", "nbf"]},
            )
        except jwt.ImmatureSignatureError:
            return self._error(401, 1003, "Authorization is not yet valid")
        except jwt.ExpiredSignatureError:
            return self._error(401, 1004, "Authorization has expired")
        except jwt.PyJWTError:
            return self._error(401, 1002, "Authorization is invalid")
        if claims.get("iss") != self.access_key:
            return self._error(401, 1002, "Authorization is invalid")
        return None

    # endpoints ----------------------------------------------------------------------

    @faulty("create")
    async def create(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if (denied := self._auth(request)) is not None:
            return denied
        if kind not in ("text2video", "image2video", "video-extend"):
            return self._error(404, 1202, f"no method {kind}")
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, 1200, "request body is not JSON")
        self.bodies.append(body)
        problem = self._validate(kind, body)
        if problem is not None:
            return self._error(400, 1201, problem)
        prompt = str(body.get("prompt", ""))
        if "forbidden" in prompt.lower():
            return self._error(400, 1301, "content security policy triggered")
        with self.lock:
            external = str(body.get("external_task_id") or "")
            if external and any(t.external_task_id == external for t in self.tasks.values()):
                return self._error(400, 1201, "external_task_id already exists")
            active = sum(t.status in ("submitted", "processing") for t in self.tasks.values())
            if active >= self.max_concurrent:
                return self._error(429, 1303, "parallel task over resource pack limit")
            source = self._source_model(body) if kind == "video-extend" else None
            task = Task(
                task_id=str(next(self._ids)),
                kind=kind,
                model=source or str(body.get("model_name", "kling-v1")),
                prompt=prompt,
                external_task_id=external,
                duration=str(body.get("duration", "5")),
            )
            self.tasks[task.task_id] = task
            self.peak_in_flight = max(self.peak_in_flight, active + 1)
        return self._ok(task.as_data(self.base_url))

    def _source_model(self, body: dict[str, Any]) -> str | None:
        for task in self.tasks.values():
            if task.video_id == body.get("video_id"):
                return task.model
        return None

    def _validate(self, kind: str, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "body must be an object"
        if len(str(body.get("prompt", ""))) > 2500:
            return "prompt is longer than 2500 characters"
        if kind == "video-extend":
            source = self._source_model(body)
            if source is None:
                return f"video_id {body.get('video_id')!r} does not exist"
            if source not in EXTENDABLE:
                return f"video-extend supports only {sorted(EXTENDABLE)} videos"
            return None
        model = body.get("model_name", "kling-v1")
        if model not in MODELS[kind]:
            return f"model_name {model!r} is not supported by {kind}"
        duration = body.get("duration", "5")
        allowed = {str(s) for s in range(3, 16)} if model == "kling-v3" else {"5", "10"}
        if not isinstance(duration, str) or duration not in allowed:
            return f"duration must be one of {sorted(allowed, key=int)} as a string"
        if body.get("mode", "std") not in ("std", "pro"):
            return "mode must be std or pro"
        if kind == "text2video" and body.get("aspect_ratio", "16:9") not in ("16:9", "9:16", "1:1"):
            return "aspect_ratio must be 16:9, 9:16 or 1:1"
        if kind == "image2video":
            image = body.get("image")
            if not image and not body.get("image_tail"):
                return "image or image_tail is required"
            if isinstance(image, str) and not image.startswith("http"):
                if image.startswith("data:"):
                    return "image must be raw base64 without a data: prefix"
                try:
                    base64.b64decode(image, validate=True)
                except binascii.Error:
                    return "image is neither a URL nor base64"
        return None

    @faulty("query")
    async def query(self, request: Request) -> Response:
        kind, task_id = request.path_params["kind"], request.path_params["task_id"]
        if (denied := self._auth(request)) is not None:
            return denied
        with self.lock:
            task = self.tasks.get(task_id) or next(
                (t for t in self.tasks.values() if t.external_task_id == task_id), None
            )
            if task is None or task.kind != kind:
                return self._error(404, 1203, f"task {task_id} does not exist")
            self._advance(task)
            data = task.as_data(self.base_url)
        return self._ok(data)

    def _advance(self, task: Task) -> None:
        task.queries += 1
        if task.status in ("succeed", "failed") or "[never]" in task.prompt:
            if "[never]" in task.prompt:
                task.status = "processing"
            return
        busy = time.monotonic() - task.accepted_at < self.seconds_to_finish
        if task.queries < self.queries_to_finish or busy:
            task.status = "processing"
        elif "[risky]" in task.prompt:
            task.status, task.status_msg = "failed", "Failure to pass the risk control system"
        elif "[fail]" in task.prompt:
            task.status, task.status_msg = "failed", "internal generation error"
        else:
            task.status, task.video_id = "succeed", str(next(self._ids))

    @faulty("download")
    async def download(self, request: Request) -> Response:
        wanted = request.path_params["video_id"]
        task = next((t for t in self.tasks.values() if t.video_id == wanted), None)
        if task is None:
            return Response(b"not found", status_code=404)
        return Response(clip(float(task.duration)), media_type="video/mp4")


@pytest.fixture(scope="session")
def kling_server() -> Iterator[KlingEmulator]:
    """The KlingAI emulator on loopback, shared by the test session (reset it per test)."""
    with serve(KlingEmulator()) as emulator:
        yield emulator
