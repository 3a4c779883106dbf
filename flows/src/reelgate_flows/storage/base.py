"""The storage interface. Implementations are synchronous (run them in a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredObject:
    """Where a stored video can be fetched: ``url`` for clients, ``key`` inside the store."""

    url: str
    key: str | None
    size_bytes: int
    previews: dict[str, Any] | None = None
    """The URLs of the video's previews and its sprite grid (``reelgate.envelope.Previews``'
    fields), when they were made."""


class Storage(Protocol):
    """Stores a finished video file under a key. Raises ``reelgate.errors.StorageError``
    (or ``TooLargeError``) on failure; the source file is never removed by ``put``."""

    def put(self, source: Path, key: str) -> StoredObject: ...

    def full_key(self, key: str) -> str:
        """The key :meth:`put` stores ``key`` under (what :meth:`open` takes)."""
        ...

    def open(self, key: str) -> bytes:
        """The stored bytes of ``key`` (used to extend an earlier result)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the stored object ``key`` (a full key, as :meth:`open` takes); nothing when
        it is gone already. StorageError when it cannot be removed."""
        ...
