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
    _check_stated_rules(spec, request, kind)
    check_references(spec, request)


def check_references(spec: ModelSpec, request: GenerateRequest) -> None:
    """Raise a ValidationError naming what ``spec`` takes when it cannot take the request's
    references (their number per type, their roles, the duration they need)."""
    caps = spec.capabilities
    if not request.references:
        return
    takes = ", ".join(f"{most} {kind}" for kind, most in caps.references.items()) or "none"
    for kind in ("image", "video", "audio"):
        given = [ref for ref in request.references if ref.type == kind]
        most = caps.references.get(kind, 0)
        if len(given) > most:
            raise ValidationError(
                f"model {spec.id!r} takes at most {most} {kind} reference(s) ({takes} in all); "
                f"the request has {len(given)}",
                field="references",
                model=spec.id,
                takes=dict(caps.references),
            )
        roles = caps.reference_roles.get(kind)
        for ref in given:
            if roles is not None and ref.role is not None and ref.role not in roles:
                raise ValidationError(
                    f"model {spec.id!r} takes {kind} references as {' or '.join(roles)}, "
                    f"not {ref.role!r}",
                    field="references",
                    model=spec.id,
                )
    video = request.video
    _with_references(spec, "aspect_ratio", video.aspect_ratio, caps.reference_aspect_ratios, "")
    seconds = " seconds long"
    _with_references(
        spec, "duration_seconds", video.duration_seconds, caps.reference_durations, seconds
    )


def _with_references(
    spec: ModelSpec, name: str, value: object, allowed: tuple[object, ...] | None, unit: str
) -> None:
    """ValidationError when a request with references sets ``name`` outside ``allowed``."""
    if allowed is not None and value not in allowed:
        raise ValidationError(
            f"model {spec.id!r} makes videos with references only "
            f"{' or '.join(str(a) for a in allowed)}{unit}",
            field=f"settings.video.{name}",
            model=spec.id,
        )


def _check_stated_rules(spec: ModelSpec, request: GenerateRequest, kind: JobKind) -> None:
    """The rules a provider states between settings (see :class:`Capabilities`)."""
    caps = spec.capabilities
    video = request.video
    resolution = video.resolution or spec.default_resolution
    durations = caps.durations_at_resolution.get(resolution or "")
    if durations is not None and video.duration_seconds not in durations:
        raise ValidationError(
            f"model {spec.id!r} makes {resolution} videos only "
            f"{' or '.join(str(d) for d in durations)} seconds long",
            field="settings.video.resolution",
            allowed_durations=list(durations),
        )
    from_text = caps.text_aspect_ratios
    if kind is JobKind.TEXT and from_text is not None and video.aspect_ratio not in from_text:
        raise ValidationError(
            f"model {spec.id!r} makes {video.aspect_ratio} videos only from a first frame; "
            f"from text alone choose {_choices('aspect_ratio', from_text)}",
            field="settings.video.aspect_ratio",
            allowed=list(from_text),
        )
    extends_at = caps.extend_resolutions
    if kind is JobKind.EXTEND and extends_at is not None and resolution not in extends_at:
        raise ValidationError(
            f"model {spec.id!r} extends videos at {' or '.join(extends_at)} only",
            field="settings.video.resolution",
            allowed=list(extends_at),
        )
    if caps.provider_options is not None:
        unknown = sorted(set(video.provider_options) - set(caps.provider_options))
        if unknown:
            known = ", ".join(caps.provider_options) or "none"
            raise ValidationError(
                f"unknown {spec.provider.name} provider_options {unknown}; known: {known}",
                field="settings.video.provider_options",
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
            f"choose {_choices(field, allowed)}",
            field=f"settings.video.{field}",
            allowed=list(allowed),
        )


def _choices(field: str, allowed: tuple[object, ...]) -> str:
    """The allowed values in words: a run of whole numbers as its range ("1-30 s"), else
    the values themselves ("4, 6 or 8 s")."""
    unit = " s" if field == "duration_seconds" else ""
    numbers = sorted(a for a in allowed if isinstance(a, int))
    if len(numbers) == len(allowed) > 3 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}{unit}"
    words = [str(a) for a in allowed]
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"{'one of ' if len(words) > 1 else ''}{listed}{unit}"
