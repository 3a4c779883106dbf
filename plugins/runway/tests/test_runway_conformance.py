"""The Runway plugin passes the core conformance suite against the emulator, for a model of
Runway's own and for a hosted Veo model."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from runway_emulator import RunwayEmulator

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestRunwayConformance(ProviderConformance):
    model = "gen4.5"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 5, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, runway_runtime: Runtime) -> Runtime:
        return runway_runtime

    @pytest.fixture
    def refused_credentials(self, runway: RunwayEmulator) -> tuple[Runtime, str]:
        secret = "key_wrong_do_not_show"
        environ = runway.environ(REELGATE_PLUGINS="runway", RUNWAYML_API_SECRET=secret)
        return build_runtime(environ=environ), secret


class TestHostedVeoConformance(TestRunwayConformance):
    model = "runway-veo3.1-fast"
    video_settings: ClassVar[dict[str, Any]] = {
        "duration_seconds": 6,
        "aspect_ratio": "9:16",
        "resolution": "1080p",
        "generate_audio": True,
    }
