"""The Seedance plugin passes the core conformance suite against the emulator (text, first
frame, and extension by chaining from the last frame)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from seedance_emulator import SeedanceEmulator

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestSeedanceConformance(ProviderConformance):
    model = "dreamina-seedance-2-0-260128"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 5, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, seedance_runtime: Runtime) -> Runtime:
        return seedance_runtime

    @pytest.fixture
    def refused_credentials(self, seedance: SeedanceEmulator) -> tuple[Runtime, str]:
        secret = "ark-wrong-key-do-not-show"
        environ = seedance.environ(REELGATE_PLUGINS="seedance", ARK_API_KEY=secret)
        return build_runtime(environ=environ), secret
