"""The Videos API emulator on loopback, and runtimes configured to use it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reelgate.runtime import Runtime, build_runtime
from tests.emulators.server import BackgroundServer
from tests.emulators.sora import SoraEmulator


@pytest.fixture(scope="session")
def sora_server() -> Iterator[tuple[SoraEmulator, str]]:
    emulator = SoraEmulator()
    with BackgroundServer(emulator.app()) as server:
        yield emulator, server.url


@pytest.fixture
def sora(sora_server: tuple[SoraEmulator, str]) -> SoraEmulator:
    emulator, _ = sora_server
    emulator.reset()
    emulator.poll_after_ms = 50
    return emulator


@pytest.fixture
def sora_settings(
    sora: SoraEmulator, sora_server: tuple[SoraEmulator, str]
) -> Callable[..., dict[str, str]]:
    """``sora_settings(**overrides)``: settings that point the plugin at the emulator."""

    def settings(**overrides: str) -> dict[str, str]:
        return {
            "REELGATE_PLUGINS": "sora",
            "OPENAI_API_KEY": sora.api_key,
            "OPENAI_BASE_URL": f"{sora_server[1]}/v1",
            "REELGATE_SORA_POLL_INTERVAL_SECONDS": "0.1",
            **overrides,
        }

    return settings


@pytest.fixture
def sora_runtime(sora_settings: Callable[..., dict[str, str]]) -> Runtime:
    return build_runtime(environ=sora_settings())
