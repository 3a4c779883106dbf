"""Which model a job tries first: routes ordered on live provider health, and what each
submission taught (:mod:`reelgate_flows.records.health`).

A job with one candidate model runs on it. A job with several (a route of ``REELGATE_ROUTES``,
or ``fallback_models``) orders them as its route says (``as_listed``, ``health``: fewest
failed submissions lately first, ``price``: cheapest estimate first, ``health_then_price``),
then moves models whose circuit is open to the end; a half-open model keeps its place for the
one job that claims its probe. The first run of a job pins that order in the records, and
every later run of the job (a retry, a re-run under the same key, a resume on another worker)
tries the same models in the same order: after an unclear submission the job never moves to
another model, whatever the health says by then.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
)
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import get_runtime
from reelgate_flows.admission import run_gate
from reelgate_flows.records.health import HealthPolicy, ProviderHealth, Signals
from reelgate_flows.settings import Settings, run_settings

logger = logging.getLogger("reelgate.flows")
_HEALTH: dict[tuple[str, float, int, float], ProviderHealth] = {}
_LOCK = threading.Lock()


def provider_health(settings: Settings | None = None) -> ProviderHealth:
    """This process's view of the fleet's provider health, for ``settings`` (default: the
    run's)."""
    settings = settings or run_settings()
    policy = HealthPolicy(
        settings.health_window_seconds, settings.circuit_refusals, settings.circuit_cooldown_seconds
    )
    key = (settings.job_records_url(), *dataclasses.astuple(policy))
    with _LOCK:
        health = _HEALTH.get(key)
        if health is None:
            health = _HEALTH[key] = ProviderHealth(run_gate(settings).records, policy)
        return health


def outcome_of(error: ReelgateError) -> str | None:
    """What a failed submission says of its model's health; None for a refusal of reelgate's
    own (the request, the configuration), which says nothing of the provider."""
    if isinstance(error, RateLimitedError):
        return "rate_limited"
    if isinstance(error, SubmissionNotAcceptedError):
        return "server_error"
    if isinstance(error, ContentRejectedError):
        return "moderated"
    if isinstance(error, ProviderError):
        return "refused" if error.safe_to_resubmit else "unclear"
    return None


async def observe(provider: str, model: str, outcomes: dict[str, float | None]) -> None:
    """Record what a job saw at ``model``; a failure to is logged, never the job's."""
    try:
        moved = await provider_health().record(provider, model, outcomes)
    except Exception:
        logger.exception("recording the health of %s failed", model)
        return
    if moved is not None:
        logger.warning("the circuit of model %s (%s) %s", model, provider, moved)


async def route_of(request: GenerateRequest, scope: str) -> list[str]:
    """The models the job with submission ``scope`` (its Idempotency-Key, or ``run:<job
    id>``) tries, in order (see the module docstring)."""
    runtime = get_runtime()
    candidates = runtime.candidates(request)
    if len(candidates) < 2:
        return candidates
    health = provider_health()
    ordered = await _ranked(runtime, request, candidates, health)
    return await health.pin(scope, ordered)


async def _ranked(
    runtime: Runtime, request: GenerateRequest, candidates: list[str], health: ProviderHealth
) -> list[str]:
    order = runtime.route_order(request)
    ids = {name: _model_id(runtime, name) for name in candidates}
    signals = await health.signals() if "health" in order else {}
    price: Callable[[str], float] = _price_of(runtime, request) if "price" in order else _zero

    def key(name: str) -> tuple[float, ...]:
        rate = _failure_rate(signals.get(ids[name]))
        if order == "health":
            return (round(rate, 1),)
        if order == "price":
            return (price(name),)
        if order == "health_then_price":
            return (round(rate, 1), price(name))
        return ()

    ranked = sorted(candidates, key=key)  # stable: as listed where equal
    return await _circuits_last(ranked, ids, health)


async def _circuits_last(
    ranked: list[str], ids: dict[str, str], health: ProviderHealth
) -> list[str]:
    circuits = await health.circuits()
    front: list[str] = []
    back: list[str] = []
    for name in ranked:
        circuit = circuits.get(ids[name])
        if circuit is None:
            front.append(name)
        elif circuit.state == "half_open" and await health.claim_probe(ids[name]):
            logger.info("job probes model %s, whose circuit is half-open", ids[name])
            front.append(name)
        else:
            back.append(name)
    return front + back


def _model_id(runtime: Runtime, name: str) -> str:
    try:
        return runtime.resolve(name).spec.id
    except ReelgateError:
        return name


def _failure_rate(signals: Signals | None) -> float:
    return 0.0 if signals is None else signals.failure_rate


def _zero(_: str) -> float:
    return 0.0


def _price_of(runtime: Runtime, request: GenerateRequest) -> Callable[[str], float]:
    def price(name: str) -> float:
        try:
            amount = runtime.most_it_may_cost(request.only_model(name), configured=False).amount
        except ReelgateError:
            amount = None
        return float("inf") if amount is None else amount

    return price


async def health_report(settings: Settings | None = None) -> dict[str, Any]:
    """The fleet's provider health as JSON-able data: ``window_seconds``, ``circuits`` (each
    model whose circuit is not closed: ``state``, ``provider``, ``opened_at``) and ``models``
    (each model's signals within the window, :meth:`Signals.as_json`)."""
    health = provider_health(settings)
    signals = await health.signals()
    return {
        "window_seconds": health.policy.window_seconds,
        "circuits": await circuits_report(settings),
        "models": {model: signals[model].as_json() for model in sorted(signals)},
    }


async def circuits_report(settings: Settings | None = None) -> dict[str, Any]:
    """Each model whose circuit is not closed: ``state``, ``provider``, ``opened_at``."""
    circuits = await provider_health(settings).circuits()
    return {
        model: {
            "state": circuit.state,
            "provider": circuit.provider,
            "opened_at": circuit.opened_at.isoformat(),
        }
        for model, circuit in sorted(circuits.items())
    }
