"""The Runway emulator and runtimes pointed at it."""

from __future__ import annotations

import pytest
from runway_emulator import RunwayEmulator, runway_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["runway_server"]


@pytest.fixture
def runway(runway_server: RunwayEmulator) -> RunwayEmulator:
    """The session's emulator, emptied for this test."""
    runway_server.reset()
    return runway_server


@pytest.fixture
def runway_runtime(runway: RunwayEmulator) -> Runtime:
    return build_runtime(environ=runway.environ(REELGATE_PLUGINS="runway"))
