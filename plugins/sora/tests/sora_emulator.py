"""An emulator of the OpenAI Videos API (WIRE.md §2) under ``/v1``: multipart (or JSON)
create, Video objects moving queued → in_progress → completed | failed, the
``openai-poll-after-ms`` header, content 404 until completed, remix, and OpenAI's error body
``{"error": {message, type, param, code}}`` with ``x-request-id``.

Outcomes by prompt: ``forbidden`` → 400 moderation_blocked at create; ``[risky]`` → the video
fails with moderation_blocked; ``[fail]`` → fails with internal_error; ``[never]`` → never
finishes. Faults are queued per operation: ``create``, ``retrieve``, ``content``, ``remix``.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelgate.testing.emulator import ProviderEmulator, faulty, serve
from reelgate.testing.media import clip

_SORA_2 = {"720x1280", "1280x720", "1024x1792", "1792x1024"}
_SORA_2_PRO = _SORA_2 | {"1920x1080", "1080x1920"}
MODEL_SIZES = {
    "sora-2": _SORA_2,
    "sora-2-2025-10-06": _SORA_2,
    "sora-2-2025-12-08": _SORA_2,
    "sora-2-pro": _SORA_2_PRO,
    "sora-2-pro-2025-10-06": _SORA_2_PRO,
}
SECONDS = {"4", "8", "12", "16", "20"}


@dataclass
class SoraVideo:
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    remixed_from: str | None = None
    retrievals: int = 0
    status: str = "queued"
    progress: int = 0
    error: dict[str, str] | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))
    accepted_at: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": self.status,
            "progress": self.progress,
            "created_at": self.created_at,
            "completed_at": self.created_at + 1 if self.status == "completed" else None,
            "expires_at": None,
            "prompt": self.prompt,
            "seconds": self.seconds,
            "size": self.size,
            "remixed_from_video_id": self.remixed_from,
            "error": self.error,
        }


@dataclass
class SoraEmulator(ProviderEmulator):
    api_key: str = "sk-test-emulator-key-0123456789"
    retrievals_to_finish: int = 2
    poll_after_ms: int | None = 50
    seconds_to_finish: float = 0.0
    """A video also stays in progress until this long after it was accepted."""
    videos: dict[str, SoraVideo] = field(default_factory=dict)
    uploads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def submissions(self) -> int:
        return len(self.videos)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.videos.clear()
            self.uploads.clear()
            self.poll_after_ms = 50
            self.seconds_to_finish = 0.0

    def environ(self, **overrides: str) -> dict[str, str]:
        """The settings that point the sora plugin at this emulator."""
        return {
            "OPENAI_API_KEY": self.api_key,
            "OPENAI_BASE_URL": f"{self.base_url}/v1",
            "REELGATE_SORA_POLL_INTERVAL_SECONDS": "0.1",
            "REELGATE_SORA_LOOKUP_SECONDS": "0.5",
            **overrides,
        }

    def subject(self, request: Request) -> str:
        return str(request.path_params.get("video_id", ""))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/videos", self.create, methods=["POST"]),
                Route("/v1/videos", self.list, methods=["GET"]),
                Route("/v1/videos/{video_id}", self.retrieve, methods=["GET"]),
                Route("/v1/videos/{video_id}/content", self.content, methods=["GET"]),
                Route("/v1/videos/{video_id}/remix", self.remix, methods=["POST"]),
            ]
        )

    @staticmethod
    def _error(
        status: int,
        message: str,
        code: str | None,
        param: str | None = None,
        kind: str = "invalid_request_error",
    ) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": message, "type": kind, "param": param, "code": code}},
            status_code=status,
            headers={"x-request-id": f"req_{uuid.uuid4().hex[:16]}", "x-should-retry": "false"},
        )

    def _auth(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "Incorrect API key provided", "invalid_api_key")
        return None

    def _ok(self, payload: dict[str, Any]) -> JSONResponse:
        headers = {"x-request-id": f"req_{uuid.uuid4().hex[:16]}"}
        if self.poll_after_ms is not None:
            headers["openai-poll-after-ms"] = str(self.poll_after_ms)
        return JSONResponse(payload, headers=headers)

    @faulty("create")
    async def create(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        fields: dict[str, Any]
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            fields = dict(form)
        else:
            fields = await request.json()
        self.uploads.append(
            {k: (v.filename if isinstance(v, UploadFile) else v) for k, v in fields.items()}
        )
        model = str(fields.get("model", "sora-2"))
        seconds = str(fields.get("seconds", "4"))
        size = str(fields.get("size", "720x1280"))
        if model not in MODEL_SIZES:
            return self._error(
                404, f"The model '{model}' does not exist", "model_not_found", "model"
            )
        if seconds not in SECONDS:
            return self._error(
                400,
                f"Invalid value: '{seconds}'. Supported values are: '4', '8', '12', '16' and '20'.",
                "invalid_value",
                "seconds",
            )
        if size not in MODEL_SIZES[model]:
            return self._error(400, f"Invalid size '{size}' for {model}", "invalid_value", "size")
        reference = fields.get("input_reference")
        if isinstance(reference, UploadFile):
            data = await reference.read()
            try:
                with Image.open(io.BytesIO(data)) as image:
                    got = f"{image.width}x{image.height}"
            except OSError:
                return self._error(
                    400, "input_reference is not an image", "invalid_image", "input_reference"
                )
            if got != size:
                return self._error(
                    400,
                    f"Inpaint image must match the requested width and height ({got} != {size})",
                    "invalid_value",
                    "input_reference",
                )
        prompt = str(fields.get("prompt", ""))
        if "forbidden" in prompt.lower():
            return self._error(
                400, "Your request was blocked by our moderation system.", "moderation_blocked"
            )
        video = self._new(model, prompt, seconds, size)
        return self._ok(video.as_json())

    def _new(
        self, model: str, prompt: str, seconds: str, size: str, remixed_from: str | None = None
    ) -> SoraVideo:
        video = SoraVideo(
            id=f"video_{uuid.uuid4().hex}",
            model=model,
            prompt=prompt,
            seconds=seconds,
            size=size,
            remixed_from=remixed_from,
        )
        with self.lock:
            self.videos[video.id] = video
        return video

    def _advance(self, video: SoraVideo) -> None:
        video.retrievals += 1
        if video.status in ("completed", "failed"):
            return
        young = time.monotonic() - video.accepted_at < self.seconds_to_finish
        if "[never]" in video.prompt or video.retrievals < self.retrievals_to_finish or young:
            video.status, video.progress = "in_progress", min(95, 30 * video.retrievals)
        elif "[risky]" in video.prompt:
            video.status = "failed"
            video.error = {
                "code": "moderation_blocked",
                "message": "The generated video was blocked by moderation.",
            }
        elif "[fail]" in video.prompt:
            video.status = "failed"
            video.error = {"code": "internal_error", "message": "Video generation failed."}
        else:
            video.status, video.progress = "completed", 100

    async def list(self, request: Request) -> Response:
        self.requests.append(("list", ""))
        if (denied := self._auth(request)) is not None:
            return denied
        limit = int(request.query_params.get("limit", "20"))
        with self.lock:
            ordered = sorted(
                self.videos.values(),
                key=lambda v: v.created_at,
                reverse=request.query_params.get("order", "desc") == "desc",
            )
            page = [v.as_json() for v in ordered[:limit]]
        return JSONResponse(
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": len(ordered) > limit,
            }
        )

    @faulty("retrieve")
    async def retrieve(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        with self.lock:
            video = self.videos.get(request.path_params["video_id"])
            if video is None:
                return self._error(404, "Video not found", "video_not_found")
            self._advance(video)
            payload = video.as_json()
        return self._ok(payload)

    @faulty("content")
    async def content(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        video = self.videos.get(request.path_params["video_id"])
        if video is None or video.status != "completed":
            return self._error(
                404,
                "Video is not ready yet, use GET /v1/videos/{video_id} to check status.",
                "video_not_ready",
            )
        if request.query_params.get("variant", "video") != "video":
            return Response(b"\x89PNG\r\n\x1a\n", media_type="image/png")
        return Response(clip(float(video.seconds)), media_type="video/mp4")

    @faulty("remix")
    async def remix(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        source = self.videos.get(request.path_params["video_id"])
        if source is None:
            return self._error(404, "Video not found", "video_not_found")
        if source.status != "completed":
            return self._error(400, "Only completed videos can be remixed", "invalid_value")
        body = await request.json()
        remixed = self._new(
            source.model,
            str(body.get("prompt", "")),
            source.seconds,
            source.size,
            remixed_from=source.id,
        )
        return self._ok(remixed.as_json())


@pytest.fixture(scope="session")
def sora_server() -> Iterator[SoraEmulator]:
    """The OpenAI Videos API emulator on loopback, shared by the session (reset it per test)."""
    with serve(SoraEmulator()) as emulator:
        yield emulator
