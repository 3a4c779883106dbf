"""The Videos API emulator on loopback, and runtimes configured to use it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sora_emulator import SoraEmulator, sora_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["sora_server"]


@pytest.fixture
def sora(sora_server: SoraEmulator) -> SoraEmulator:
    """The session's emulator, emptied for this test."""
    sora_server.reset()
    return sora_server


@pytest.fixture
def sora_settings(sora: SoraEmulator) -> Callable[..., dict[str, str]]:
    """``sora_settings(**overrides)``: settings that point the plugin at the emulator."""
    return lambda **overrides: sora.environ(REELGATE_PLUGINS="sora", **overrides)


@pytest.fixture
def sora_runtime(sora_settings: Callable[..., dict[str, str]]) -> Runtime:
    return build_runtime(environ=sora_settings())
