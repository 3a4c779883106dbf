"""The Veo plugin passes the core conformance suite through google-genai against the
Vertex AI emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestVeoConformance(ProviderConformance):
    model = "veo-3.1-fast"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 8, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, veo_runtime: Runtime) -> Runtime:
        return veo_runtime

    @pytest.fixture
    def refused_credentials(
        self, veo_settings: Callable[..., dict[str, str]]
    ) -> tuple[Runtime, str]:
        secret = "AIza-wrong-" + "q" * 30
        return build_runtime(environ=veo_settings(GOOGLE_API_KEY=secret)), secret
