"""The Vertex AI emulator on loopback, and runtimes configured to use it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from vertex_emulator import VertexEmulator, vertex_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["vertex_server"]


@pytest.fixture
def vertex(vertex_server: VertexEmulator) -> VertexEmulator:
    """The session's emulator, emptied for this test."""
    vertex_server.reset()
    return vertex_server


@pytest.fixture
def veo_settings(vertex: VertexEmulator) -> Callable[..., dict[str, str]]:
    """``veo_settings(**overrides)``: express-mode settings pointing at the emulator."""
    return lambda **overrides: vertex.environ(REELGATE_PLUGINS="veo", **overrides)


@pytest.fixture
def veo_runtime(veo_settings: Callable[..., dict[str, str]]) -> Runtime:
    return build_runtime(environ=veo_settings())
