"""``reelgate models``: one block per model, readable in an 80-column terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from reelgate.pricing import Rate
from reelgate.runtime import Runtime
from reelgate_api.service.models_report import models_report


def _compact(values: list[int]) -> str:
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}-{values[-1]}"
    return ",".join(str(v) for v in values)


def model_lines(model: dict[str, Any]) -> list[str]:
    """The lines of one model's block (rich markup), each under 80 columns."""
    caps = model["capabilities"]
    title = f"[bold]{escape(model['id'])}[/bold]" + (" (default)" if model["default"] else "")
    if model["configured"]:
        state = "[green]ready[/green]"
    else:
        state = "[yellow]not configured:[/yellow] set " + escape(
            " ".join(model["missing_settings"])
        )
    does = [", ".join(sorted(caps["kinds"])), f"{_compact(sorted(caps['durations']))} s"]
    if caps["audio"]:
        does.append("audio")
    if caps["max_videos"] > 1:
        does.append(f"up to {caps['max_videos']} videos")
    if caps["cancel"]:
        does.append("cancel")
    shapes = [", ".join(caps["aspect_ratios"])]
    if caps["resolutions"]:
        shapes.append(", ".join(caps["resolutions"]))
    lines = [f"{title} · {escape(model['provider'])}", f"  {state}"]
    names = model["aliases"] + model["patterns"]
    if names:
        lines.append("  names: " + escape(", ".join(names)))
    lines.append("  does: " + escape(" · ".join(does)))
    lines.append("  shapes: " + escape(" · ".join(shapes)))
    lines.append("  price: " + escape(_price_words(model["price"])))
    dates = _lifecycle_words(model)
    if dates:
        lines.append("  lifecycle: " + escape(dates))
    if model.get("health"):
        lines.extend(_health_lines(model["health"]))
    proof = model["lost_submission_proof"]
    lines.append(
        "  lost create: "
        + (escape(f"settled by {proof}") if proof else "cannot be proven; never sent again")
    )
    return lines


def _health_lines(health: dict[str, Any]) -> list[str]:
    """``circuit: open (opened 05:12:01 UTC)`` and ``health: 4 of 5 failed · p50 31 s · p95
    58 s (last 300 s)`` (submissions, and time to a finished video); nothing for a closed
    circuit without signals."""
    lines = []
    if health["circuit"] != "closed":
        since = health["circuit_opened_at"][11:19]
        state = health["circuit"].replace("_", "-")
        lines.append(f"  [red]circuit: {state}[/red] (opened {since} UTC)")
    counts = health.get("counts") or {}
    failed = sum(n for outcome, n in counts.items() if outcome in _FAILED)
    tried = failed + counts.get("accepted", 0)
    said = []
    if tried:
        said.append(f"{failed} of {tried} failed")
    if health.get("finished_p50_seconds") is not None:
        p50, p95 = health["finished_p50_seconds"], health["finished_p95_seconds"]
        said.append(f"p50 {p50:g} s · p95 {p95:g} s")
    if said:
        lines.append(
            "  health: " + escape(" · ".join(said)) + f" (last {health['window_seconds']:g} s)"
        )
    return lines


_FAILED = ("rate_limited", "server_error", "refused", "unclear")


def _lifecycle_words(model: dict[str, Any]) -> str:
    """``deprecated 2026-03-24 · retires 2026-09-24 · successor veo-3.1`` (empty for a model
    without dates)."""
    said = []
    if model["deprecated_on"]:
        said.append(f"deprecated {model['deprecated_on']}")
    if model["retires_on"]:
        verb = "retired" if model["lifecycle"] == "retired" else "retires"
        said.append(f"{verb} {model['retires_on']}")
    if model["successor"]:
        said.append(f"successor {model['successor']}")
    return " · ".join(said)


def _price_words(price: dict[str, Any] | None) -> str:
    """``$0.1/s 720p · $0.12/s 1080p (2026-11-01)``, or that no verified price exists."""
    if price is None:
        return "unknown (no verified price)"
    rates = []
    for rate in price["rates"]:
        where = [rate["resolution"] or ""]
        if rate["audio"] is not None:
            where.append("with audio" if rate["audio"] else "without audio")
        said = Rate.model_validate(rate).words()
        rates.append(f"{said} {' '.join(w for w in where if w)}".strip())
    return f"{' · '.join(rates)} ({price['as_of']})"


def print_models(runtime: Runtime, console: Console, health: dict[str, Any] | None = None) -> None:
    report = models_report(runtime, health)
    for model in report["models"]:
        for line in model_lines(model):
            console.print(line, overflow="fold")
    if not any(m["default"] for m in report["models"]):
        console.print(
            f"default model {report['default_model']!r} is not installed; "
            "pass --model or set REELGATE_DEFAULT_MODEL"
        )
    for failure in report["failed_plugins"]:
        console.print(
            f"[red]plugin {escape(failure['name'])} ({escape(failure['distribution'])}) failed "
            f"to load:[/red] {escape(failure['error'])}"
        )
