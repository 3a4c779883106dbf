"""The KlingAI emulator on loopback, and runtimes configured to use it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kling_emulator import KlingEmulator, kling_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["kling_server"]


@pytest.fixture
def kling(kling_server: KlingEmulator) -> KlingEmulator:
    """The session's emulator, emptied for this test."""
    kling_server.reset()
    return kling_server


@pytest.fixture
def kling_settings(kling: KlingEmulator) -> Callable[..., dict[str, str]]:
    """``kling_settings(**overrides)``: the emulator's settings, with overrides."""
    return lambda **overrides: kling.environ(REELGATE_PLUGINS="kling", **overrides)


@pytest.fixture
def kling_runtime(kling_settings: Callable[..., dict[str, str]]) -> Runtime:
    return build_runtime(environ=kling_settings())
