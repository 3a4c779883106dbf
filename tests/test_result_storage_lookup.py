"""A process asks the Prefect server for its default result storage once per
``SERVER_DEFAULT_TTL_SECONDS`` per API, not at the start of every flow run."""

from __future__ import annotations

from typing import Any

import prefect.results
import pytest
from prefect.client.orchestration import PrefectClient, SyncPrefectClient

from reelgate_flows import result_storage


def test_the_server_default_result_storage_is_read_once_per_ttl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result_storage.remember_server_default_storage()
    result_storage._server_defaults.clear()
    reads: list[str] = []
    original = SyncPrefectClient.read_server_default_result_storage

    def counted(self: SyncPrefectClient) -> Any:
        reads.append("read")
        return original(self)

    monkeypatch.setattr(SyncPrefectClient, "read_server_default_result_storage", counted)
    answers = {prefect.results._read_server_default_result_storage_block_id() for _ in range(5)}
    assert reads == ["read"] and answers == {None}, "one read serves the next runs"

    monkeypatch.setattr(result_storage, "SERVER_DEFAULT_TTL_SECONDS", 0.0)
    prefect.results._read_server_default_result_storage_block_id()
    assert reads == ["read", "read"], "read again once the time has passed"


async def test_the_async_lookup_shares_the_remembered_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result_storage.remember_server_default_storage()
    result_storage._server_defaults.clear()
    reads: list[str] = []
    original = PrefectClient.read_server_default_result_storage

    async def counted(self: PrefectClient) -> Any:
        reads.append("read")
        return await original(self)

    monkeypatch.setattr(PrefectClient, "read_server_default_result_storage", counted)
    for _ in range(3):
        assert await prefect.results._aread_server_default_result_storage_block_id() is None
    assert reads == ["read"]
