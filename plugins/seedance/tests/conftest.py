"""The Seedance emulator and runtimes pointed at it."""

from __future__ import annotations

import pytest
from seedance_emulator import SeedanceEmulator, seedance_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["seedance_server"]


@pytest.fixture
def seedance(seedance_server: SeedanceEmulator) -> SeedanceEmulator:
    """The session's emulator, emptied for this test."""
    seedance_server.reset()
    return seedance_server


@pytest.fixture
def seedance_runtime(seedance: SeedanceEmulator) -> Runtime:
    return build_runtime(environ=seedance.environ(REELGATE_PLUGINS="seedance"))
