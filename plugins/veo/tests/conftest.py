"""The Vertex AI emulator on loopback, and runtimes configured to use it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from reelgate.runtime import Runtime, build_runtime
from tests.emulators.server import BackgroundServer
from tests.emulators.vertex import VertexEmulator


@pytest.fixture(scope="session")
def vertex_server() -> Iterator[tuple[VertexEmulator, str]]:
    emulator = VertexEmulator()
    with BackgroundServer(emulator.app()) as server:
        yield emulator, server.url


@pytest.fixture
def vertex(vertex_server: tuple[VertexEmulator, str]) -> VertexEmulator:
    vertex_server[0].reset()
    return vertex_server[0]


@pytest.fixture
def veo_settings(
    vertex: VertexEmulator, vertex_server: tuple[VertexEmulator, str]
) -> Callable[..., dict[str, str]]:
    """``veo_settings(**overrides)``: express-mode settings pointing at the emulator."""

    def settings(**overrides: str) -> dict[str, str]:
        return {
            "REELGATE_PLUGINS": "veo",
            "GOOGLE_API_KEY": vertex.api_key,
            "REELGATE_VEO_BASE_URL": vertex_server[1],
            "REELGATE_VEO_GCS_BASE_URL": vertex_server[1],
            **overrides,
        }

    return settings


@pytest.fixture
def veo_runtime(veo_settings: Callable[..., dict[str, str]]) -> Runtime:
    return build_runtime(environ=veo_settings())
