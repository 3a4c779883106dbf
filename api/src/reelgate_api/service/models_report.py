"""Every installed model, alias, provider, capability and plugin failure, as JSON-able data:
what ``GET /video/models`` answers and ``reelgate models`` shows."""

from __future__ import annotations

from typing import Any

from reelgate.errors import ReelgateError
from reelgate.pricing import CURRENCY, Price
from reelgate.requests import VideoSettings
from reelgate.runtime import Runtime


def models_report(runtime: Runtime, health: dict[str, Any] | None = None) -> dict[str, Any]:
    """The registry as JSON-able data (also what ``GET /video/models`` will answer); with
    ``health`` (:func:`reelgate_flows.routing.health_report`), each model's ``health``:
    ``circuit`` (``closed``, ``open``, ``half_open``) and its signals over the window."""
    registry = runtime.registry
    providers = {p.spec.name: p for p in registry.providers()}
    models = []
    for entry in registry.models():
        spec, caps = entry.spec, entry.spec.capabilities
        status = providers[spec.provider.name]
        dates = runtime.lifecycle_of(spec.id)
        assert dates is not None
        models.append(
            {
                "id": spec.id,
                "provider": spec.provider.name,
                "provider_model": spec.provider_model,
                "aliases": list(spec.aliases),
                "patterns": list(spec.patterns),
                "plugin": entry.plugin,
                "distribution": entry.distribution,
                "capabilities": caps.model_dump(mode="json"),
                "configured": status.configured,
                "missing_settings": list(status.missing),
                "default": spec.id == _default_id(runtime),
                "default_resolution": spec.default_resolution,
                "price": _price(runtime.price_of(spec.id)),
                "lost_submission_proof": spec.provider.lost_submission_proof,
                "lifecycle": dates.stage(),
                **dates.model_dump(mode="json"),
            }
        )
        if health is not None:
            models[-1]["health"] = _health_of(spec.id, health)
    video = VideoSettings.model_fields
    return {
        "default_model": registry.default_model,
        "request_defaults": {
            "duration_seconds": video["duration_seconds"].default,
            "aspect_ratio": video["aspect_ratio"].default,
        },
        "models": models,
        "failed_plugins": [
            {"name": f.name, "distribution": f.distribution, "error": f.error}
            for f in registry.failures
        ],
    }


def _health_of(model: str, health: dict[str, Any]) -> dict[str, Any]:
    circuit = health["circuits"].get(model)
    signals = health["models"].get(model) or {}
    return {
        "circuit": "closed" if circuit is None else circuit["state"],
        "circuit_opened_at": None if circuit is None else circuit["opened_at"],
        "window_seconds": health["window_seconds"],
        **{key: value for key, value in signals.items() if key not in ("model", "provider")},
    }


def _price(price: Price | None) -> dict[str, Any] | None:
    """A price as JSON: each rate on its one basis (USD per second, per million tokens, per
    video or credits per second), by resolution and audio (null: any), its date and source;
    None when the model has no verified price."""
    if price is None:
        return None
    shown = price.model_dump(mode="json")
    shown["rates"] = [_rate(rate) for rate in shown["rates"]]
    if shown.get("usd_per_credit") is None and not price.in_credits:
        shown.pop("usd_per_credit", None)
    return {"currency": CURRENCY, **shown}


def _rate(rate: dict[str, Any]) -> dict[str, Any]:
    """A rate without the bases it does not use (``fps`` only for tokens, ``duration_seconds``
    only for a per-video rate)."""
    kept = {key: value for key, value in rate.items() if value is not None or key in _ANY}
    if "usd_per_million_tokens" not in kept:
        kept.pop("fps", None)
    return kept


_ANY = ("resolution", "audio")
"""Keys whose null means "any" (kept)."""


def _default_id(runtime: Runtime) -> str | None:
    try:
        return runtime.resolve(None).spec.id
    except ReelgateError:
        return None
