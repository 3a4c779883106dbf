"""The local provider passes the core conformance suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import ProviderConformance


class TestLocalConformance(ProviderConformance):
    model = "local"
    video_settings: ClassVar[dict[str, Any]] = {
        "duration_seconds": 1,
        "aspect_ratio": "16:9",
        "resolution": "360p",
    }
    rejected_prompt = "a forbidden scene"

    @pytest.fixture
    def runtime(self, tmp_path: Path) -> Runtime:
        return build_runtime(
            environ={
                "REELGATE_PLUGINS": "local",
                "REELGATE_LOCAL_DIR": str(tmp_path / "local"),
                "REELGATE_LOCAL_BLOCKED_WORDS": "forbidden",
            }
        )
