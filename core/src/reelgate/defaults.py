"""What a request that leaves a setting unset gets: the default model when it names none (and
a clear refusal when that model cannot run here), the length its model offers nearest the
default when the default is not one of them, the first aspect ratio it offers when the default
is not one of them, and the aspect ratio of its first frame."""

from __future__ import annotations

from reelgate.errors import ProviderNotConfiguredError, ReelgateError
from reelgate.registry import Registry
from reelgate.requests import GenerateRequest
from reelgate.specs import ModelSpec


def names_model(request: GenerateRequest) -> bool:
    return "model" in request.video.model_fields_set


def default_model(registry: Registry, configured: bool) -> str:
    """The model of a request that names none: ``registry.default_model``. With
    ``configured``, a default whose provider is not ready is refused with the models that are
    (a price question, ``configured`` False, needs no credentials)."""
    wanted = registry.default_model
    try:
        entry = registry.resolve(wanted)
        if configured:
            registry.provider_settings(entry.spec.provider.name)
        return entry.spec.id
    except ReelgateError as why:
        ready = ready_models(registry)
        suggestion = "local" if "local" in ready else (ready[0] if ready else None)
        raise ProviderNotConfiguredError(
            f"no model was named and the default model {wanted} cannot run here "
            f"({why.message}); ready here: {', '.join(ready) or 'none'}. Name one in "
            "settings.video.model"
            + (f", e.g. --model {suggestion}" if suggestion else "")
            + ", or set REELGATE_DEFAULT_MODEL",
            model=wanted,
            ready_models=ready,
        ) from None


def ready_models(registry: Registry) -> list[str]:
    """The ids of the models whose provider is configured, in id order."""
    ready = []
    for entry in registry.models():
        try:
            registry.provider_settings(entry.spec.provider.name)
        except ReelgateError:
            continue
        ready.append(entry.spec.id)
    return ready


def with_model_defaults(spec: ModelSpec, request: GenerateRequest) -> GenerateRequest:
    """``request`` with an unset length the model does not offer replaced by the nearest one
    it offers (the shorter of two as near), and an unset aspect ratio it does not offer by the
    first it offers; a setting the request set is left to be checked."""
    video = request.video
    offered = spec.capabilities
    if "aspect_ratio" not in video.model_fields_set and video.aspect_ratio not in (
        offered.aspect_ratios
    ):
        request = request.with_video(aspect_ratio=offered.aspect_ratios[0])
    durations = offered.durations
    if "duration_seconds" in video.model_fields_set or video.duration_seconds in durations:
        return request
    nearest = min(durations, key=lambda d: (abs(d - video.duration_seconds), d))
    return request.with_video(duration_seconds=nearest)


def aspect_ratio_of(width: int, height: int, offered: tuple[str, ...]) -> str:
    """The offered aspect ratio nearest ``width``:``height`` (a 1280x720 frame: 16:9)."""

    def distance(ratio: str) -> float:
        w, h = (float(part) for part in ratio.split(":"))
        return abs(w / h - width / height)

    return min(offered, key=distance)
