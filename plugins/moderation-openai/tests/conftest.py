"""The moderation endpoint's emulator on loopback."""

from __future__ import annotations

import pytest
from moderation_emulator import ModerationEmulator, moderation_server

__all__ = ["moderation_server"]


@pytest.fixture
def moderation(
    moderation_server: ModerationEmulator, monkeypatch: pytest.MonkeyPatch
) -> ModerationEmulator:
    """The session's emulator, emptied for this test, and the plugin pointed at it."""
    moderation_server.reset()
    for name, value in moderation_server.environ().items():
        monkeypatch.setenv(name, value)
    return moderation_server
