"""An emulator of Veo on Vertex AI (WIRE.md §1.5 to §1.11) as google-genai 3.x speaks to it:
``POST /v1beta1/[projects/{p}/locations/{l}/]publishers/google/models/{m}:predictLongRunning``
and ``…:fetchPredictOperation`` (a POST with ``{"operationName"}``), status 200 for every
success, Google's error body ``{"error": {code, message, status}}``, results inline as base64
or in the emulated Cloud Storage (``/storage/v1/b/{bucket}/o/{object}?alt=media``).

Auth: ``x-goog-api-key`` (express mode) or ``Authorization: Bearer <token>`` (project mode).
Outcomes by prompt: ``forbidden`` → 400 (Responsible AI) at create; ``[risky]`` → done with
``raiMediaFilteredCount`` and no video; ``[fail]`` → done with an ``error``; ``[never]`` →
never done. Faults are queued per operation: ``create``, ``fetch``, ``storage``.
"""

from __future__ import annotations

import base64
import binascii
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

from reelgate.testing.emulator import ProviderEmulator, after, before, faulty, serve
from reelgate.testing.media import clip

MODELS = {
    "veo-3.1-generate-001",
    "veo-3.1-fast-generate-001",
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
}
VERSIONS = {"v1", "v1beta1"}


@dataclass
class Operation:
    name: str
    prompt: str
    samples: int
    storage_uri: str | None
    seconds: int = 8
    fetches: int = 0
    created_at: float = field(default_factory=time.monotonic)


@dataclass
class VertexEmulator(ProviderEmulator):
    api_key: str = "vertex-express-test-key-0123456789"
    access_token: str = "ya29.test-access-token-0123456789"
    fetches_to_finish: int = 2
    render_seconds: float = 0.0
    """How long after its creation an operation's videos appear in Cloud Storage even if
    nobody fetches it (as Veo renders on its own)."""
    operations: dict[str, Operation] = field(default_factory=dict)
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def submissions(self) -> int:
        return len(self.operations)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.operations.clear()
            self.objects.clear()
            self.bodies.clear()

    def environ(self, **overrides: str) -> dict[str, str]:
        """The settings that point the veo plugin at this emulator (express mode)."""
        return {
            "GOOGLE_API_KEY": self.api_key,
            "REELGATE_VEO_BASE_URL": self.base_url,
            "REELGATE_VEO_GCS_BASE_URL": self.base_url,
            **overrides,
        }

    def subject(self, request: Request) -> str:
        return str(request.path_params.get("name", ""))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/storage/v1/b/{bucket}/o", self.storage_list, methods=["GET"]),
                Route("/storage/v1/b/{bucket}/o/{name:path}", self.storage, methods=["GET"]),
                Route("/{version}/{resource:path}", self.dispatch, methods=["POST"]),
            ]
        )

    @staticmethod
    def _error(code: int, message: str, status: str) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": code, "message": message, "status": status}}, status_code=code
        )

    def _auth(self, request: Request, project_mode: bool) -> JSONResponse | None:
        if project_mode:
            if request.headers.get("authorization") != f"Bearer {self.access_token}":
                return self._error(
                    401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"
                )
        elif request.headers.get("x-goog-api-key") != self.api_key:
            # As Google answers a wrong key: 400, not 401/403, with reason API_KEY_INVALID.
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid. Please pass a valid API key.",
                        "status": "INVALID_ARGUMENT",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                "reason": "API_KEY_INVALID",
                                "domain": "googleapis.com",
                            }
                        ],
                    }
                },
                status_code=400,
            )
        return None

    async def dispatch(self, request: Request) -> Response:
        version, resource = request.path_params["version"], request.path_params["resource"]
        path, _, method = resource.rpartition(":")
        if version not in VERSIONS or method not in ("predictLongRunning", "fetchPredictOperation"):
            return self._error(404, f"unknown method {resource}", "NOT_FOUND")
        operation = "create" if method == "predictLongRunning" else "fetch"
        self.requests.append((operation, path))
        fault = self.faults.take(operation)
        early = await before(fault)
        if early is not None:
            return early
        if (denied := self._auth(request, path.startswith("projects/"))) is not None:
            return denied
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT")
        response = self._create(path, body) if operation == "create" else self._fetch(body)
        return await after(fault, response)

    def _create(self, resource: str, body: dict[str, Any]) -> JSONResponse:
        self.bodies.append(body)
        model = resource.rpartition("/models/")[2]
        if model not in MODELS:
            return self._error(
                404, f"Publisher Model `{resource}` is no longer available.", "NOT_FOUND"
            )
        instance = (body.get("instances") or [{}])[0]
        parameters = body.get("parameters") or {}
        problem = self._validate(instance, parameters)
        if problem is not None:
            return self._error(400, problem, "INVALID_ARGUMENT")
        prompt = str(instance.get("prompt", ""))
        if "forbidden" in prompt.lower():
            return self._error(
                400,
                "The prompt could not be submitted. This prompt contains "
                "words that violate Google's Responsible AI practices.",
                "INVALID_ARGUMENT",
            )
        name = f"{resource}/operations/{uuid.uuid4()}"
        with self.lock:
            self.operations[name] = Operation(
                name,
                prompt,
                int(parameters.get("sampleCount", 1)),
                parameters.get("storageUri"),
                int(parameters.get("durationSeconds", 8)),
            )
        return JSONResponse({"name": name})

    @staticmethod
    def _validate(instance: dict[str, Any], parameters: dict[str, Any]) -> str | None:
        duration = parameters.get("durationSeconds", 8)
        if duration not in (4, 6, 8):
            return f"Unsupported duration {duration}: use 4, 6 or 8 seconds."
        if parameters.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
            return f"Unsupported aspect ratio {parameters.get('aspectRatio')}."
        resolution = parameters.get("resolution", "720p")
        if resolution not in ("720p", "1080p"):
            return f"Unsupported resolution {resolution}."
        if resolution == "1080p" and duration != 8:
            return "1080p requires an 8 second duration."
        if not 1 <= int(parameters.get("sampleCount", 1)) <= 4:
            return "sampleCount must be between 1 and 4."
        if "video" in instance and resolution != "720p":
            return "Video extension supports 720p only."
        for key in ("image", "lastFrame", "video"):
            media = instance.get(key)
            if media is None:
                continue
            if "gcsUri" in media:
                continue
            try:
                base64.b64decode(media.get("bytesBase64Encoded", ""), validate=True)
            except binascii.Error:
                return f"instances[0].{key}.bytesBase64Encoded is not base64."
            if not media.get("mimeType"):
                return f"instances[0].{key}.mimeType is required."
        return VertexEmulator._validate_references(instance, duration)

    @staticmethod
    def _validate_references(instance: dict[str, Any], duration: Any) -> str | None:
        """Vertex's rules for ``referenceImages``: at most 3, ASSET or STYLE, 8 s videos, no
        first frame, last frame or video beside them."""
        references = instance.get("referenceImages")
        if references is None:
            return None
        if len(references) > 3:
            return "At most 3 reference images are supported."
        if any(key in instance for key in ("image", "lastFrame", "video")):
            return "referenceImages cannot be combined with image, lastFrame or video."
        if int(duration) != 8:
            return "Reference-image-to-video supports 8 second videos only."
        for index, reference in enumerate(references):
            if reference.get("referenceType") not in ("ASSET", "STYLE"):
                return f"referenceImages[{index}].referenceType must be ASSET or STYLE."
            image = reference.get("image") or {}
            try:
                base64.b64decode(image.get("bytesBase64Encoded", ""), validate=True)
            except binascii.Error:
                return f"referenceImages[{index}].image.bytesBase64Encoded is not base64."
            if not image.get("mimeType"):
                return f"referenceImages[{index}].image.mimeType is required."
        return None

    def _fetch(self, body: dict[str, Any]) -> JSONResponse:
        name = str(body.get("operationName", ""))
        with self.lock:
            operation = self.operations.get(name)
            if operation is None:
                return self._error(404, f"Operation {name} not found.", "NOT_FOUND")
            operation.fetches += 1
            done = operation.fetches >= self.fetches_to_finish and "[never]" not in (
                operation.prompt
            )
        if not done:
            return JSONResponse({"name": name, "done": False})
        if "[fail]" in operation.prompt:
            return JSONResponse(
                {"name": name, "done": True, "error": {"code": 13, "message": "Internal error."}}
            )
        response: dict[str, Any] = {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "raiMediaFilteredCount": 0,
        }
        if "[risky]" in operation.prompt:
            response["raiMediaFilteredCount"] = 1
            response["raiMediaFilteredReasons"] = [
                "Your video could not be generated because it violates our policies."
            ]
        else:
            response["videos"] = [self._video(operation, i) for i in range(operation.samples)]
        return JSONResponse({"name": name, "done": True, "response": response})

    def _video(self, operation: Operation, index: int) -> dict[str, str]:
        data = clip(operation.seconds)
        if operation.storage_uri:
            bucket, key = self._object_of(operation, index)
            self.objects[(bucket, key)] = data
            return {"gcsUri": f"gs://{bucket}/{key}", "mimeType": "video/mp4"}
        return {"bytesBase64Encoded": base64.b64encode(data).decode(), "mimeType": "video/mp4"}

    @staticmethod
    def _object_of(operation: Operation, index: int) -> tuple[str, str]:
        """Where Veo writes a video: ``<storageUri>/<operation number>/sample_<i>.mp4``."""
        assert operation.storage_uri is not None
        bucket, _, prefix = operation.storage_uri.removeprefix("gs://").partition("/")
        number = operation.name.rpartition("/")[2]
        return bucket, f"{prefix.rstrip('/')}/{number}/sample_{index}.mp4".lstrip("/")

    def _render_due(self) -> None:
        """Write the videos of every unfailed GCS operation older than ``render_seconds``."""
        now = time.monotonic()
        with self.lock:
            for operation in self.operations.values():
                due = operation.created_at + self.render_seconds <= now
                doomed = "[fail]" in operation.prompt or "[risky]" in operation.prompt
                if (
                    operation.storage_uri
                    and due
                    and not doomed
                    and "[never]" not in operation.prompt
                ):
                    for index in range(operation.samples):
                        self._video(operation, index)

    @faulty("list")
    async def storage_list(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return self._error(
                401, "Anonymous caller does not have storage.objects.list", "UNAUTHENTICATED"
            )
        self._render_due()
        bucket, prefix = request.path_params["bucket"], request.query_params.get("prefix", "")
        with self.lock:
            names = sorted(n for b, n in self.objects if b == bucket and n.startswith(prefix))
        return JSONResponse({"items": [{"name": name} for name in names]} if names else {})

    @faulty("storage")
    async def storage(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return self._error(
                401, "Anonymous caller does not have storage.objects.get", "UNAUTHENTICATED"
            )
        data = self.objects.get((request.path_params["bucket"], request.path_params["name"]))
        if data is None:
            return self._error(404, "No such object", "NOT_FOUND")
        return Response(data, media_type="video/mp4")


@pytest.fixture(scope="session")
def vertex_server() -> Iterator[VertexEmulator]:
    """The Vertex AI emulator on loopback, shared by the test session (reset it per test)."""
    with serve(VertexEmulator()) as emulator:
        yield emulator
