"""Builds the configured storage from ``REELGATE_STORAGE_URL``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from reelgate.errors import ValidationError
from reelgate_flows.settings import Settings
from reelgate_flows.storage.base import Storage
from reelgate_flows.storage.data_uri import DataUriStorage
from reelgate_flows.storage.files import FileStorage
from reelgate_flows.storage.s3 import S3Storage


def storage_from_url(url: str, settings: Settings) -> Storage:
    """``file://PATH`` (PATH relative to the working directory unless absolute: ``file:///abs``),
    ``s3://bucket/prefix``, or ``data:`` for inline data URIs."""
    if url.startswith("file://"):
        path = url[len("file://") :]
        if not path:
            raise ValidationError("REELGATE_STORAGE_URL file:// needs a path")
        return FileStorage(Path(path))
    if url.startswith("s3://"):
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValidationError("REELGATE_STORAGE_URL s3:// needs a bucket: s3://bucket/prefix")
        return S3Storage(
            parts.netloc,
            parts.path,
            part_size=settings.s3_part_size_bytes,
            max_concurrency=settings.s3_max_concurrency,
            presign_seconds=settings.s3_presign_seconds if settings.s3_presign else None,
            public_base_url=settings.s3_public_base_url,
        )
    if url == "data:":
        return DataUriStorage(settings.data_uri_max_bytes)
    raise ValidationError(f"REELGATE_STORAGE_URL {url!r} is not file://PATH or s3://bucket/prefix")
