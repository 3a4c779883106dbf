"""Input images are checked and kept once in the storage at admission; jobs carry a reference,
not the bytes.

A request's ``input_image_url`` may be a base64 ``data:`` URI of up to ``image_max_bytes``
(an upload to ``/v1/videos``, the playground's file picker) or an http(s) URL, fetched then
(a bad one is a 400 before any job exists). Admission keeps its bytes under
``customers/{id}/uploads/{sha256}.{ext}`` of the configured storage and the job's request,
run parameters and admission record hold ``reelgate-upload:{sha256}.{ext}`` instead: a few
dozen bytes. The name is the content's digest, so the same image under the same
Idempotency-Key is the same request; it is always read under the request's own customer, so
a reference never reaches another customer's upload.

With ``REELGATE_STORAGE_URL=data:`` there is nowhere to keep it, and the URI stays.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from reelgate.errors import StorageError, ValidationError
from reelgate.requests import GenerateRequest
from reelgate_flows.image_checks import checked_image_type
from reelgate_flows.inputs import fetch
from reelgate_flows.settings import Settings
from reelgate_flows.storage.factory import storage_from_url

UPLOAD_SCHEME = "reelgate-upload:"
FIELD = "input_image_url"
_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp|gif|mp4|mov|webm|mp3|wav|m4a|ogg)$")
_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/mp4": "m4a",
    "audio/ogg": "ogg",
}


def upload_key(customer_id: str, name: str) -> str:
    """The storage key of the customer's upload ``name``."""
    return f"customers/{customer_id}/uploads/{name}"


async def with_kept_upload(request: GenerateRequest, settings: Settings) -> GenerateRequest:
    """``request`` with its input image checked, and kept when it is inline or at a URL (then
    replaced by its reference; unchanged with ``data:`` storage). 400 (ValidationError) for a
    scheme other than https/http, data: or an upload reference, an unknown upload, a URL the
    service may not fetch (:mod:`reelgate_flows.inputs`), bytes that are no readable image, or
    an image over ``image_max_pixels`` (:mod:`reelgate_flows.image_checks`); TooLargeError
    over ``image_max_bytes``; StorageError when it cannot be kept. The job then runs on the
    bytes checked here, never on a second fetch of the URL."""
    url = request.input_image_url
    if not url:
        return request
    if url.startswith(UPLOAD_SCHEME):
        data = await upload_bytes(url, request.customer_id, settings)
        checked_image_type(data, settings.image_max_pixels)
        return request
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("data", "http", "https"):
        raise ValidationError(f"{FIELD} must be an https URL or a data: URI", field=FIELD)
    data = await fetch(
        url,
        field=FIELD,
        max_bytes=settings.image_max_bytes,
        timeout_seconds=settings.fetch_timeout_seconds,
        allow_private=settings.private_allowance(),
        allow_local_files=False,
    )
    mime = checked_image_type(data, settings.image_max_pixels)
    if settings.storage_url == "data:":
        return request
    reference = await kept(data, mime, request.customer_id, settings)
    return request.model_copy(update={"input_image_url": reference})


async def kept(data: bytes, mime_type: str, customer_id: str, settings: Settings) -> str:
    """Keep checked ``data`` (of ``mime_type``) among the customer's uploads; its reference."""
    name = f"{hashlib.sha256(data).hexdigest()}.{_EXTENSIONS[mime_type]}"
    await asyncio.to_thread(_keep, data, upload_key(customer_id, name), settings)
    return UPLOAD_SCHEME + name


def _keep(data: bytes, key: str, settings: Settings) -> None:
    storage = storage_from_url(settings.storage_url, settings)
    with tempfile.TemporaryDirectory(prefix="reelgate-upload-") as folder:
        source = Path(folder) / "upload"
        source.write_bytes(data)
        storage.put(source, key)


async def upload_bytes(
    reference: str, customer_id: str, settings: Settings, field: str = FIELD
) -> bytes:
    """The bytes of ``reference`` (``reelgate-upload:<name>``) among ``customer_id``'s uploads.
    ValidationError (naming ``field``) for a malformed or unknown reference."""
    name = reference[len(UPLOAD_SCHEME) :]
    if not _NAME.match(name):
        raise ValidationError(f"{field} {reference!r} is not an upload reference", field=field)
    storage = storage_from_url(settings.storage_url, settings)
    key = storage.full_key(upload_key(customer_id, name))
    try:
        return await asyncio.to_thread(storage.open, key)
    except StorageError as exc:
        raise ValidationError(f"{field}: no upload {name} of this customer", field=field) from exc
