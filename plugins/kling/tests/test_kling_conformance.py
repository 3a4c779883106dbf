"""The KlingAI plugin passes the core conformance suite against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from kling_emulator import KlingEmulator

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestKlingConformance(ProviderConformance):
    model = "kling-v1"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 5, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, kling_runtime: Runtime, kling: KlingEmulator) -> Runtime:
        return kling_runtime

    @pytest.fixture
    def refused_credentials(
        self, kling_settings: Callable[..., dict[str, str]]
    ) -> tuple[Runtime, str]:
        secret = "wrong-secret-" + "x" * 40
        return build_runtime(environ=kling_settings(KLING_SECRET_KEY=secret)), secret
