"""An emulator of OpenAI's moderation endpoint (``POST /v1/moderations``) on loopback: a text
part holding a word of ``flagged_words`` is flagged for violence, an image part whose URL holds
``flagged`` is flagged for sexual content (applied to the image only). Faults are queued for
the operation ``moderate``."""

from __future__ import annotations

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

CATEGORIES = ("harassment", "hate", "self-harm", "sexual", "violence")


@dataclass
class ModerationEmulator(ProviderEmulator):
    api_key: str = "sk-moderation-test"
    flagged_words: tuple[str, ...] = ("massacre",)
    bodies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def submissions(self) -> int:
        return 0  # moderation is not a paid video

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/moderations", self.moderate, methods=["POST"])])

    def environ(self, **overrides: str) -> dict[str, str]:
        return {
            "REELGATE_MODERATION_OPENAI_API_KEY": self.api_key,
            "REELGATE_MODERATION_OPENAI_BASE_URL": f"{self.base_url}/v1",
            **overrides,
        }

    def reset(self) -> None:
        super().reset()
        self.bodies.clear()

    @faulty("moderate")
    async def moderate(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            error = {"message": "Incorrect API key", "type": "invalid_request_error"}
            return JSONResponse({"error": {**error, "code": "invalid_api_key"}}, 401)
        body = await request.json()
        self.bodies.append(body)
        parts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        hits: dict[str, list[str]] = {}
        for part in parts:
            if isinstance(part, str):
                part = {"type": "text", "text": part}
            if part["type"] == "text" and any(
                w in part["text"].lower() for w in self.flagged_words
            ):
                hits.setdefault("violence", []).append("text")
            if part["type"] == "image_url" and "flagged" in part["image_url"]["url"]:
                hits.setdefault("sexual", []).append("image")
        result = {
            "flagged": bool(hits),
            "categories": {name: name in hits for name in CATEGORIES},
            "category_scores": {name: 0.9 if name in hits else 0.01 for name in CATEGORIES},
            "category_applied_input_types": {name: hits.get(name, []) for name in CATEGORIES},
        }
        return JSONResponse(
            {"id": f"modr-{uuid.uuid4().hex}", "model": body["model"], "results": [result]}
        )


@pytest.fixture(scope="session")
def moderation_server() -> Iterator[ModerationEmulator]:
    """The moderation emulator, shared by the session (reset it per test)."""
    with serve(ModerationEmulator()) as emulator:
        yield emulator
