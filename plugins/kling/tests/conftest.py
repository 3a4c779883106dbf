"""The KlingAI emulator on loopback, and runtimes configured to use it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reelgate.runtime import Runtime, build_runtime
from tests.emulators.kling import KlingEmulator
from tests.emulators.server import BackgroundServer


@pytest.fixture(scope="session")
def kling_server() -> Iterator[KlingEmulator]:
    emulator = KlingEmulator()
    with BackgroundServer(emulator.app()) as server:
        emulator.base_url = server.url
        yield emulator


@pytest.fixture
def kling(kling_server: KlingEmulator) -> KlingEmulator:
    """The session's emulator, emptied for this test."""
    kling_server.reset()
    return kling_server


def kling_environ(emulator: KlingEmulator, **overrides: str) -> dict[str, str]:
    """Settings that point the plugin at ``emulator``."""
    return {
        "REELGATE_PLUGINS": "kling",
        "KLING_ACCESS_KEY": emulator.access_key,
        "KLING_SECRET_KEY": emulator.secret_key,
        "KLING_BASE_URL": emulator.base_url,
        **overrides,
    }


@pytest.fixture
def kling_settings(kling: KlingEmulator) -> Callable[..., dict[str, str]]:
    """``kling_settings(**overrides)``: the emulator's settings, with overrides."""
    return lambda **overrides: kling_environ(kling, **overrides)


@pytest.fixture
def kling_runtime(kling: KlingEmulator) -> Runtime:
    return build_runtime(environ=kling_environ(kling))
