"""The Wan emulator and runtimes pointed at it."""

from __future__ import annotations

import pytest
from wan_emulator import WanEmulator, wan_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["wan_server"]


@pytest.fixture
def wan(wan_server: WanEmulator) -> WanEmulator:
    """The session's emulator, emptied for this test."""
    wan_server.reset()
    return wan_server


@pytest.fixture
def wan_runtime(wan: WanEmulator) -> Runtime:
    return build_runtime(environ=wan.environ(REELGATE_PLUGINS="wan"))
