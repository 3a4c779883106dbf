"""A request's references (``GenerateRequest.references``), fetched and checked as input images
are: an http(s) URL that resolves to public addresses only (:mod:`reelgate_flows.inputs`), a
data: URI, an upload reference, or a local path from the CLI; within ``image_max_bytes``
(images) or ``reference_max_bytes`` (video, audio); of the type the bytes themselves show (an
image PyAV-free by its header, a video that passes the media check, audio PyAV opens with an
audio stream). At the API's admission they are checked and kept like an input image
(:func:`with_kept_references`), so the job runs on the bytes checked there."""

from __future__ import annotations

import asyncio
import io
from typing import Any
from urllib.parse import urlsplit

from reelgate.errors import ValidationError
from reelgate.media import ReferenceInput
from reelgate.references import Reference
from reelgate.requests import GenerateRequest
from reelgate_flows.image_checks import checked_image_type
from reelgate_flows.inputs import fetch
from reelgate_flows.media_check import CONTAINER_FORMATS, UnplayableVideo, inspect_video
from reelgate_flows.settings import Settings
from reelgate_flows.uploads import UPLOAD_SCHEME, kept, upload_bytes

AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "mov": "audio/mp4"}
"""An audio container's MIME type by an FFmpeg format name it opens as (``mov`` is MP4/M4A)."""


def _field(index: int) -> str:
    return f"references[{index}].url"


async def reference_bytes(
    reference: Reference, index: int, customer_id: str, settings: Settings, allow_local: bool
) -> tuple[bytes, str]:
    """The checked bytes of ``reference`` and their MIME type; ValidationError (naming the
    reference) when they cannot be fetched or are not what its ``type`` says."""
    field, url = _field(index), reference.url
    if url.startswith(UPLOAD_SCHEME):
        data = await upload_bytes(url, customer_id, settings, field)
    else:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("data", "http", "https") and not allow_local:
            raise ValidationError(f"{field} must be an https URL or a data: URI", field=field)
        limit = (
            settings.image_max_bytes if reference.type == "image" else settings.reference_max_bytes
        )
        data = await fetch(
            url,
            field=field,
            max_bytes=limit,
            timeout_seconds=settings.fetch_timeout_seconds,
            allow_private=settings.private_allowance(),
            allow_local_files=allow_local,
        )
    return data, await asyncio.to_thread(_checked_type, reference.type, data, field, settings)


def _checked_type(kind: str, data: bytes, field: str, settings: Settings) -> str:
    if kind == "image":
        try:
            return checked_image_type(data, settings.image_max_pixels)
        except ValidationError as exc:
            raise ValidationError(f"{field}: {exc.message}", field=field) from None
    if kind == "video":
        try:
            facts = inspect_video(data, "")
        except UnplayableVideo as exc:
            raise ValidationError(f"{field} is not a playable video: {exc}", field=field) from None
        names = set(facts.container.split(","))
        for mime, name in CONTAINER_FORMATS.items():
            if name in names:
                return mime
        taken = ", ".join(CONTAINER_FORMATS.values())
        raise ValidationError(f"{field}: a {facts.container} video; taken: {taken}", field=field)
    return _audio_type(data, field)


def _audio_type(data: bytes, field: str) -> str:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            names: Any = container.format.name.split(",")
            if not container.streams.audio:
                raise ValidationError(f"{field} holds no audio stream", field=field)
    except (av.error.FFmpegError, OSError, ValueError):
        raise ValidationError(f"{field} is not an audio file", field=field) from None
    for name in names:
        if name in AUDIO_TYPES:
            return AUDIO_TYPES[name]
    raise ValidationError(f"{field}: audio as {names[0]} is not taken", field=field)


async def fetched_references(
    request: GenerateRequest, roles: dict[str, tuple[str, ...]], settings: Settings, local: bool
) -> list[ReferenceInput]:
    """Every reference of ``request`` fetched and checked, its role the model's default for
    its type (the first of ``roles``) when it named none."""
    fetched = []
    for index, reference in enumerate(request.references):
        data, mime = await reference_bytes(reference, index, request.customer_id, settings, local)
        role = reference.role or (roles.get(reference.type) or (None,))[0]
        fetched.append(ReferenceInput(type=reference.type, data=data, mime_type=mime, role=role))
    return fetched


async def with_kept_references(request: GenerateRequest, settings: Settings) -> GenerateRequest:
    """``request`` with every reference checked and kept among its customer's uploads (then
    referred to; unchanged with ``data:`` storage); ValidationError for a bad one."""
    if not request.references:
        return request
    references = []
    for index, reference in enumerate(request.references):
        data, mime = await reference_bytes(reference, index, request.customer_id, settings, False)
        if settings.storage_url != "data:" and not reference.url.startswith(UPLOAD_SCHEME):
            url = await kept(data, mime, request.customer_id, settings)
            reference = reference.model_copy(update={"url": url})
        references.append(reference)
    return request.model_copy(update={"references": references})
