"""The Wan plugin passes the core conformance suite against the emulator."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from wan_emulator import WanEmulator

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestWanConformance(ProviderConformance):
    model = "wan2.6-t2v"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 5, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, wan_runtime: Runtime) -> Runtime:
        return wan_runtime

    @pytest.fixture
    def refused_credentials(self, wan: WanEmulator) -> tuple[Runtime, str]:
        secret = "sk-wrong-key-do-not-show"
        environ = wan.environ(REELGATE_PLUGINS="wan", DASHSCOPE_API_KEY=secret)
        return build_runtime(environ=environ), secret
