"""pytest plugin (entry point ``pytest11: reelgate``): fixtures for provider plugin tests."""

from __future__ import annotations

import pytest

from reelgate.testing.fake import FakeProvider


@pytest.fixture
def fake_provider() -> FakeProvider:
    """A fresh scripted in-memory provider (see ``reelgate.testing.fake``)."""
    return FakeProvider()
