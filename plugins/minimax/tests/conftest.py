"""The MiniMax emulator and runtimes pointed at it."""

from __future__ import annotations

import pytest
from minimax_emulator import MinimaxEmulator, minimax_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["minimax_server"]


@pytest.fixture
def minimax(minimax_server: MinimaxEmulator) -> MinimaxEmulator:
    """The session's emulator, emptied for this test."""
    minimax_server.reset()
    return minimax_server


@pytest.fixture
def minimax_runtime(minimax: MinimaxEmulator) -> Runtime:
    return build_runtime(environ=minimax.environ(REELGATE_PLUGINS="minimax"))
