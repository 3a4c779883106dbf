"""The fleet's provider health (:func:`reelgate_flows.routing.health_report`) as Prometheus
gauges, read from the records at each scrape: every process of a fleet shows the same."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

CIRCUIT_VALUES = {"closed": 0.0, "half_open": 0.5, "open": 1.0}


def health_exposition(report: dict[str, Any]) -> bytes:
    """Gauges of ``report``: ``reelgate_circuit_state`` (0 closed, 0.5 half-open, 1 open),
    ``reelgate_model_failure_rate``, ``reelgate_model_moderation_rate``,
    ``reelgate_model_submissions`` (by outcome) and ``reelgate_model_finished_seconds`` (p50
    and p95), each by provider and model, over the window."""
    registry = CollectorRegistry()
    labels = ["provider", "model"]
    circuit = Gauge(
        "reelgate_circuit_state", "0 closed, 0.5 half-open, 1 open", labels, registry=registry
    )
    failure = Gauge(
        "reelgate_model_failure_rate",
        "Failed submissions over all submissions within the health window",
        labels,
        registry=registry,
    )
    moderation = Gauge(
        "reelgate_model_moderation_rate",
        "Prompts the provider's safety filter refused, over those it answered, in the window",
        labels,
        registry=registry,
    )
    outcomes = Gauge(
        "reelgate_model_outcomes",
        "Submission outcomes and finished jobs within the health window",
        [*labels, "outcome"],
        registry=registry,
    )
    finished = Gauge(
        "reelgate_model_finished_seconds",
        "Time from acceptance to a finished video within the health window",
        [*labels, "quantile"],
        registry=registry,
    )
    for model, signals in report["models"].items():
        provider = signals["provider"]
        failure.labels(provider, model).set(signals["failure_rate"])
        moderation.labels(provider, model).set(signals["moderation_rate"])
        circuit.labels(provider, model).set(0.0)
        for outcome, count in signals["counts"].items():
            outcomes.labels(provider, model, outcome).set(count)
        for quantile in ("50", "95"):
            seconds = signals[f"finished_p{quantile}_seconds"]
            if seconds is not None:
                finished.labels(provider, model, f"0.{quantile}").set(seconds)
    for model, state in report["circuits"].items():
        circuit.labels(state["provider"], model).set(CIRCUIT_VALUES[state["state"]])
    return generate_latest(registry)
