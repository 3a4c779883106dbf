"""``reelgate models``: every model, alias, provider, capability and plugin failure."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from reelgate.runtime import Runtime


def _compact(values: tuple[int, ...]) -> str:
    if len(values) > 2 and list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(str(v) for v in values)


def models_report(runtime: Runtime) -> dict[str, Any]:
    """The registry as JSON-able data (also what ``GET /video/models`` will answer)."""
    registry = runtime.registry
    providers = {p.spec.name: p for p in registry.providers()}
    models = []
    for entry in registry.models():
        spec, caps = entry.spec, entry.spec.capabilities
        status = providers[spec.provider.name]
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
            }
        )
    return {
        "default_model": registry.default_model,
        "models": models,
        "failed_plugins": [
            {"name": f.name, "distribution": f.distribution, "error": f.error}
            for f in registry.failures
        ],
    }


def _default_id(runtime: Runtime) -> str | None:
    try:
        return runtime.resolve(None).spec.id
    except Exception:
        return None


def print_models(runtime: Runtime, console: Console) -> None:
    report = models_report(runtime)
    table = Table(title="reelgate models")
    for column in (
        "model",
        "aliases / patterns",
        "provider",
        "does",
        "seconds",
        "aspect",
        "resolution",
        "audio",
        "max",
        "configured",
    ):
        table.add_column(column)
    for model in report["models"]:
        caps = model["capabilities"]
        table.add_row(
            model["id"] + (" (default)" if model["default"] else ""),
            ", ".join(model["aliases"] + model["patterns"]),
            model["provider"],
            ",".join(sorted(caps["kinds"])),
            _compact(tuple(caps["durations"])),
            ",".join(caps["aspect_ratios"]),
            ",".join(caps["resolutions"] or ["-"]),
            "yes" if caps["audio"] else "no",
            str(caps["max_videos"]),
            "yes" if model["configured"] else "no: set " + " ".join(model["missing_settings"]),
        )
    console.print(table)
    if not any(m["default"] for m in report["models"]):
        console.print(
            f"default model {report['default_model']!r} is not installed; "
            "pass --model or set REELGATE_DEFAULT_MODEL"
        )
    for failure in report["failed_plugins"]:
        console.print(
            f"[red]plugin {failure['name']} ({failure['distribution']}) failed to "
            f"load:[/red] {failure['error']}"
        )
