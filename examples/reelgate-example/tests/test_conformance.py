"""The core conformance suite, against the emulator."""

from __future__ import annotations

import pytest
from example_emulator import ExampleEmulator

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestExampleConformance(ProviderConformance):
    model = "example-video-1"
    video_settings = {"duration_seconds": 4, "aspect_ratio": "16:9"}  # noqa: RUF012
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, example_runtime: Runtime) -> Runtime:
        return example_runtime

    @pytest.fixture
    def refused_credentials(self, example: ExampleEmulator) -> tuple[Runtime, str]:
        secret = "ex-wrong-key-do-not-show"
        environ = example.environ(REELGATE_PLUGINS="example", EXAMPLE_API_KEY=secret)
        return build_runtime(environ=environ), secret
