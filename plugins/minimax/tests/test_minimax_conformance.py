"""The MiniMax plugin passes the core conformance suite against the emulator."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from minimax_emulator import MinimaxEmulator

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestMinimaxConformance(ProviderConformance):
    model = "MiniMax-Hailuo-02"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 6, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, minimax_runtime: Runtime) -> Runtime:
        return minimax_runtime

    @pytest.fixture
    def refused_credentials(self, minimax: MinimaxEmulator) -> tuple[Runtime, str]:
        secret = "mm-wrong-key-do-not-show"
        environ = minimax.environ(REELGATE_PLUGINS="minimax", MINIMAX_API_KEY=secret)
        return build_runtime(environ=environ), secret
