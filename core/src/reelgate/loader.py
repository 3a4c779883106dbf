"""Plugin discovery through the ``reelgate`` entry-point group.

Entry points are loaded one at a time. A plugin that fails to import, registers a hook that
is not in the contract, or declares a capability it does not implement is reported as a
:class:`PluginFailure` (with its distribution and the error) and skipped; it never stops the
others from loading.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from reelgate import hookspecs
from reelgate.specs import ModelSpec

ENTRY_POINT_GROUP = "reelgate"
logger = logging.getLogger("reelgate.plugins")


@dataclass(frozen=True)
class LoadedPlugin:
    """A registered plugin: ``name`` is its entry-point name and its pluggy name."""

    name: str
    distribution: str
    models: tuple[ModelSpec, ...]


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was skipped, and why."""

    name: str
    distribution: str
    error: str


@dataclass(frozen=True)
class LoadResult:
    plugin_manager: pluggy.PluginManager
    plugins: tuple[LoadedPlugin, ...]
    failures: tuple[PluginFailure, ...]


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def parse_allow_list(value: str | None) -> frozenset[str] | None:
    """``REELGATE_PLUGINS``: None (unset) allows every plugin; an empty string allows none."""
    if value is None:
        return None
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _distribution_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "<unknown>"


def load_plugins(
    allow: frozenset[str] | None = None,
    extra_plugins: Sequence[tuple[str, Any]] = (),
    eps: Iterable[EntryPoint] | None = None,
) -> LoadResult:
    """Load every allowed entry point of the ``reelgate`` group, plus ``extra_plugins``
    (``(name, module_or_object)`` pairs registered directly, e.g. by tests)."""
    pm = new_plugin_manager()
    loaded: list[LoadedPlugin] = []
    failures: list[PluginFailure] = []
    candidates: list[tuple[str, str, Any]] = []
    for ep in sorted(
        eps if eps is not None else entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        if allow is not None and ep.name not in allow:
            continue
        dist = _distribution_name(ep)
        try:
            candidates.append((ep.name, dist, ep.load()))
        except Exception as exc:  # a broken plugin must never stop the others
            failures.append(PluginFailure(ep.name, dist, f"{type(exc).__name__}: {exc}"))
            logger.warning("plugin %s (%s) failed to import: %s", ep.name, dist, exc)
    candidates.extend((name, "<direct>", obj) for name, obj in extra_plugins)

    for name, dist, obj in candidates:
        try:
            loaded.append(_register(pm, name, dist, obj))
        except Exception as exc:
            if pm.is_registered(obj):
                pm.unregister(obj)
            failures.append(PluginFailure(name, dist, f"{type(exc).__name__}: {exc}"))
            logger.warning("plugin %s (%s) was skipped: %s", name, dist, exc)
    return LoadResult(pm, tuple(loaded), tuple(failures))


def _register(pm: pluggy.PluginManager, name: str, dist: str, obj: Any) -> LoadedPlugin:
    if pm.get_plugin(name) is not None:
        raise ValueError(f"a plugin named {name!r} is already registered")
    pm.register(obj, name=name)
    pm.check_pending()
    implemented = {caller.name for caller in pm.get_hookcallers(obj) or ()}
    models: tuple[ModelSpec, ...] = ()
    if "reelgate_models" in implemented:
        declared = getattr(obj, "reelgate_models")()  # noqa: B009 - the plugin's own hookimpl
        models = tuple(declared or ())
        for spec in models:
            if not isinstance(spec, ModelSpec):
                raise TypeError(f"reelgate_models returned {type(spec).__name__}, not ModelSpec")
            _check_capabilities_against_hooks(spec, implemented)
    return LoadedPlugin(name=name, distribution=dist, models=models)


def _check_capabilities_against_hooks(spec: ModelSpec, implemented: set[str]) -> None:
    missing = sorted(hookspecs.required_hooks(spec) - implemented)
    if missing:
        raise TypeError(
            f"model {spec.id!r} declares capabilities whose hooks are not implemented: {missing}"
        )
