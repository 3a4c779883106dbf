"""Checks a request against a model's declared capabilities, before any plugin is called.

An operation the model does not offer is a 501 (CapabilityNotSupportedError); a setting value
outside what it accepts is a 400 (ValidationError) that lists the accepted values.
"""

from __future__ import annotations

from reelgate.errors import CapabilityNotSupportedError, ValidationError
from reelgate.jobs import JobKind
from reelgate.requests import GenerateRequest
from reelgate.specs import ModelSpec

_KIND_WORDS = {
    JobKind.TEXT: "text-to-video",
    JobKind.IMAGE: "image-to-video",
    JobKind.EXTEND: "video extension",
}


def check_request(spec: ModelSpec, request: GenerateRequest, kind: JobKind) -> None:
    """Raise if ``spec`` cannot serve ``request`` as a job of ``kind``."""
    caps = spec.capabilities
    video = request.video
    if kind not in caps.kinds:
        raise CapabilityNotSupportedError(
            f"model {spec.id!r} ({spec.provider.name}) does not support {_KIND_WORDS[kind]}",
            model=spec.id,
            provider=spec.provider.name,
            operation=kind.value,
        )
    _one_of("duration_seconds", video.duration_seconds, caps.durations, spec)
    _one_of("aspect_ratio", video.aspect_ratio, caps.aspect_ratios, spec)
    if video.resolution is not None:
        _one_of("resolution", video.resolution, caps.resolutions, spec)
    if video.fps is not None:
        _one_of("fps", video.fps, caps.fps, spec)
    if video.generate_audio and not caps.audio:
        raise ValidationError(
            f"model {spec.id!r} cannot generate audio; set generate_audio to false or null",
            field="settings.video.generate_audio",
        )
    if video.number_of_videos > caps.max_videos:
        raise ValidationError(
            f"model {spec.id!r} makes at most {caps.max_videos} video(s) per request",
            field="settings.video.number_of_videos",
        )


def check_image_type(spec: ModelSpec, mime_type: str) -> None:
    """Raise a 400 when the model does not accept images of ``mime_type``."""
    if mime_type not in spec.capabilities.image_mime_types:
        raise ValidationError(
            f"model {spec.id!r} accepts images of type "
            f"{', '.join(spec.capabilities.image_mime_types)}, not {mime_type}",
            field="input_image_url",
        )


def _one_of(field: str, value: object, allowed: tuple[object, ...] | None, spec: ModelSpec) -> None:
    if allowed is None:
        raise ValidationError(
            f"model {spec.id!r} does not let you choose {field}; leave it null",
            field=f"settings.video.{field}",
        )
    if value not in allowed:
        raise ValidationError(
            f"{field} {value!r} is not supported by model {spec.id!r}; "
            f"choose one of {', '.join(str(a) for a in allowed)}",
            field=f"settings.video.{field}",
            allowed=list(allowed),
        )
