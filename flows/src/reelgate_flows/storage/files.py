"""A local folder as storage (``file://PATH``); the API serves these files later."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from reelgate.errors import StorageError
from reelgate_flows.storage.base import StoredObject


class FileStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        """The file of ``key``; refuses keys that would leave the folder."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"key {key!r} leaves the storage folder")
        return path

    def full_key(self, key: str) -> str:
        return key

    def put(self, source: Path, key: str) -> StoredObject:
        target = self.path(key)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, tmp)  # same file system: no copy of the bytes
            except OSError:
                shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):  # the folder itself may be what failed
                tmp.unlink(missing_ok=True)
            raise StorageError(f"could not write {target}: {exc.strerror or exc}") from exc
        return StoredObject(url=target.as_uri(), key=key, size_bytes=source.stat().st_size)

    def open(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except OSError as exc:
            raise StorageError(f"could not read {key}: {exc.strerror or exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key}: {exc.strerror or exc}") from exc
