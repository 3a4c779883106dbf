"""Images sent inline are kept once in the storage; jobs carry a reference, not the bytes.

A request's ``input_image_url`` may be a base64 ``data:`` URI of up to ``image_max_bytes``
(an upload to ``/v1/videos``, the playground's file picker). Admission keeps its bytes under
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

from reelgate.errors import StorageError, ValidationError
from reelgate.requests import GenerateRequest
from reelgate_flows.inputs import data_uri_bytes, sniff_image_type
from reelgate_flows.settings import Settings
from reelgate_flows.storage.factory import storage_from_url

UPLOAD_SCHEME = "reelgate-upload:"
FIELD = "input_image_url"
_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|webp|gif)$")
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def upload_key(customer_id: str, name: str) -> str:
    """The storage key of the customer's upload ``name``."""
    return f"customers/{customer_id}/uploads/{name}"


async def with_kept_upload(request: GenerateRequest, settings: Settings) -> GenerateRequest:
    """``request`` with an inline ``input_image_url`` kept and replaced by its reference
    (unchanged otherwise). ValidationError/TooLargeError for a URI that is not an image of
    at most ``image_max_bytes``; StorageError when it cannot be kept."""
    url = request.input_image_url
    if not url or not url.lower().startswith("data:") or settings.storage_url == "data:":
        return request
    data = data_uri_bytes(url, FIELD, settings.image_max_bytes)
    mime = sniff_image_type(data)
    if mime is None:
        raise ValidationError(f"{FIELD} is not a PNG, JPEG, WebP or GIF image", field=FIELD)
    name = f"{hashlib.sha256(data).hexdigest()}.{_EXTENSIONS[mime]}"
    await asyncio.to_thread(_keep, data, upload_key(request.customer_id, name), settings)
    return request.model_copy(update={"input_image_url": UPLOAD_SCHEME + name})


def _keep(data: bytes, key: str, settings: Settings) -> None:
    storage = storage_from_url(settings.storage_url, settings)
    with tempfile.TemporaryDirectory(prefix="reelgate-upload-") as folder:
        source = Path(folder) / "upload"
        source.write_bytes(data)
        storage.put(source, key)


async def upload_bytes(reference: str, customer_id: str, settings: Settings) -> bytes:
    """The bytes of ``reference`` (``reelgate-upload:<name>``) among ``customer_id``'s uploads.
    ValidationError for a malformed or unknown reference."""
    name = reference[len(UPLOAD_SCHEME) :]
    if not _NAME.match(name):
        raise ValidationError(f"{FIELD} {reference!r} is not an upload reference", field=FIELD)
    storage = storage_from_url(settings.storage_url, settings)
    key = storage.full_key(upload_key(customer_id, name))
    try:
        return await asyncio.to_thread(storage.open, key)
    except StorageError as exc:
        raise ValidationError(f"{FIELD}: no upload {name} of this customer", field=FIELD) from exc
