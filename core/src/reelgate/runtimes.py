"""How a process builds its provider runtime (:func:`build_runtime`) and keeps one
(:func:`get_runtime`, installed by an application with :func:`set_runtime_factory`)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, get_args

from reelgate.errors import ValidationError
from reelgate.lifecycle import parse_lifecycles
from reelgate.loader import load_plugins, parse_allow_list
from reelgate.pricing import PriceBook
from reelgate.registry import Registry
from reelgate.requests import DEFAULT_MODEL, RouteOrder
from reelgate.runtime import Runtime


def build_runtime(
    environ: Mapping[str, str] | None = None,
    extra_plugins: Sequence[tuple[str, Any]] = (),
    *,
    plugins: str | None = None,
    default_model: str | None = None,
    routes: str | None = None,
    prices_file: str | None = None,
) -> Runtime:
    """Load plugins and build the registry.

    ``plugins`` is the allow-list (comma list; None: every plugin; empty: none),
    ``default_model`` the model of requests that name none, ``routes`` the operator's routes
    (:func:`parse_routes`) and ``prices_file`` the operator's prices
    (:class:`~reelgate.pricing.PriceBook`); when not given they are read from
    ``REELGATE_PLUGINS``, ``REELGATE_DEFAULT_MODEL``, ``REELGATE_ROUTES`` and
    ``REELGATE_PRICES_FILE`` in ``environ`` (as ``REELGATE_MODEL_LIFECYCLE`` always is).
    ``environ`` (default ``os.environ``) also supplies
    each provider's declared variables."""
    env = os.environ if environ is None else environ
    allow = plugins if plugins is not None else env.get("REELGATE_PLUGINS")
    loaded = load_plugins(parse_allow_list(allow), extra_plugins)
    registry = Registry(
        loaded.plugins,
        loaded.failures,
        default_model=default_model or env.get("REELGATE_DEFAULT_MODEL") or DEFAULT_MODEL,
        environ=env,
    )
    prices = PriceBook.from_file(prices_file or env.get("REELGATE_PRICES_FILE"))
    text = routes or env.get("REELGATE_ROUTES")
    lifecycles = parse_lifecycles(env.get("REELGATE_MODEL_LIFECYCLE"))
    return Runtime(
        loaded, registry, prices, parse_routes(text), lifecycles, parse_route_orders(text)
    )


def _routes_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        routes = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"REELGATE_ROUTES is not JSON: {exc}") from exc
    shape = (
        "REELGATE_ROUTES must map route names to lists of model names, or to "
        '{"models": [...], "order": "as_listed" | "health" | "price" | "health_then_price"}'
    )
    if not isinstance(routes, dict):
        raise ValidationError(shape)
    for name, route in routes.items():
        models = route.get("models") if isinstance(route, dict) else route
        valid = isinstance(models, list) and models and all(isinstance(m, str) for m in models)
        order = route.get("order", "as_listed") if isinstance(route, dict) else "as_listed"
        if not valid or order not in get_args(RouteOrder):
            raise ValidationError(f"{shape} (route {name!r})")
    return routes


def parse_routes(text: str | None) -> dict[str, list[str]]:
    """``REELGATE_ROUTES``: a JSON object of route names to the models they try, e.g.
    ``{"fast-video": ["kling-v2-6", "veo-3.1-fast"]}``, or to ``{"models": [...], "order":
    "health"}`` (:func:`parse_route_orders`)."""
    return {
        str(name): list(route["models"] if isinstance(route, dict) else route)
        for name, route in _routes_json(text).items()
    }


def parse_route_orders(text: str | None) -> dict[str, str]:
    """The ``order`` each route of ``REELGATE_ROUTES`` gives (``as_listed`` when none)."""
    return {
        str(name): str(route.get("order", "as_listed")) if isinstance(route, dict) else "as_listed"
        for name, route in _routes_json(text).items()
    }


_runtime: Runtime | None = None
_factory: Callable[[], Runtime] = build_runtime
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process's runtime, built on first use by the installed factory (see
    :func:`set_runtime_factory`; default :func:`build_runtime` from the environment)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _factory()
        return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Replace (or with None, forget) the process's runtime; for embedding and tests."""
    global _runtime
    with _runtime_lock:
        _runtime = runtime


def set_runtime_factory(factory: Callable[[], Runtime]) -> None:
    """How :func:`get_runtime` builds the runtime (an application passes its settings)."""
    global _factory
    with _runtime_lock:
        _factory = factory


__all__ = ["build_runtime", "get_runtime", "parse_routes", "set_runtime", "set_runtime_factory"]
