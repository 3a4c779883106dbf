"""The Sora plugin passes the core conformance suite against the Videos API emulator,
with the SDK's DeprecationWarning turned into an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


class TestSoraConformance(ProviderConformance):
    model = "sora-2"
    video_settings: ClassVar[dict[str, Any]] = {"duration_seconds": 4, "aspect_ratio": "16:9"}
    rejected_prompt = "something forbidden"

    @pytest.fixture
    def runtime(self, sora_runtime: Runtime) -> Runtime:
        return sora_runtime

    @pytest.fixture
    def refused_credentials(
        self, sora_settings: Callable[..., dict[str, str]]
    ) -> tuple[Runtime, str]:
        secret = "sk-wrong-" + "k" * 40
        return build_runtime(environ=sora_settings(OPENAI_API_KEY=secret)), secret
