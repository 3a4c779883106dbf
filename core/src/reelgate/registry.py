"""The model registry: resolves a model name to the plugin that serves it.

Built once per process from the plugins' declarations (:func:`reelgate.runtimes.get_runtime`).
Resolution order: exact model id, then alias, then the longest matching name pattern
(``kling*``); no name means the configured default model. Model ids and aliases are unique
across plugins: a clash fails at start-up naming both distributions.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from reelgate.errors import PluginError, ProviderNotConfiguredError, UnknownModelError
from reelgate.loader import LoadedPlugin, PluginFailure
from reelgate.requests import DEFAULT_MODEL
from reelgate.specs import ModelSpec, ProviderSpec


@dataclass(frozen=True)
class RegisteredModel:
    spec: ModelSpec
    plugin: str
    distribution: str


@dataclass(frozen=True)
class ProviderStatus:
    spec: ProviderSpec
    plugin: str
    distribution: str
    missing: tuple[str, ...]

    @property
    def configured(self) -> bool:
        return not self.missing


class Registry:
    """Model and provider lookup over a set of loaded plugins. Immutable once built."""

    def __init__(
        self,
        plugins: tuple[LoadedPlugin, ...],
        failures: tuple[PluginFailure, ...] = (),
        default_model: str = DEFAULT_MODEL,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.failures = failures
        self.default_model = default_model
        self._names: dict[str, RegisteredModel] = {}
        self._patterns: list[tuple[str, RegisteredModel]] = []
        self._providers: dict[str, tuple[ProviderSpec, str, str]] = {}
        for plugin in plugins:
            for spec in plugin.models:
                entry = RegisteredModel(spec, plugin.name, plugin.distribution)
                self._add_provider(spec.provider, plugin)
                for name in (spec.id, *spec.aliases):
                    self._add_name(name, entry)
                self._patterns.extend((pattern.lower(), entry) for pattern in spec.patterns)
        self._patterns.sort(key=lambda item: -len(item[0].rstrip("*?")))
        self._settings = {
            name: _read_settings(spec, environ or {})
            for name, (spec, _, _) in self._providers.items()
        }

    def _add_name(self, name: str, entry: RegisteredModel) -> None:
        key = name.lower()
        existing = self._names.get(key)
        if existing is not None and (existing.spec.id, existing.plugin) != (
            entry.spec.id,
            entry.plugin,
        ):
            raise PluginError(
                f"model name {name!r} is declared twice: by {existing.distribution} "
                f"(plugin {existing.plugin!r}, model {existing.spec.id!r}) and by "
                f"{entry.distribution} (plugin {entry.plugin!r}, model {entry.spec.id!r})"
            )
        self._names[key] = entry

    def _add_provider(self, spec: ProviderSpec, plugin: LoadedPlugin) -> None:
        existing = self._providers.get(spec.name)
        if existing is not None and existing[1] != plugin.name:
            raise PluginError(
                f"provider {spec.name!r} is declared by two plugins: {existing[2]} "
                f"(plugin {existing[1]!r}) and {plugin.distribution} (plugin {plugin.name!r})"
            )
        self._providers[spec.name] = (spec, plugin.name, plugin.distribution)

    def resolve(self, name: str | None) -> RegisteredModel:
        """The model serving ``name`` (the default model when None or empty)."""
        wanted = (name or self.default_model).strip()
        key = wanted.lower()
        if key in self._names:
            return self._names[key]
        for pattern, entry in self._patterns:
            if fnmatch.fnmatchcase(key, pattern):
                return entry
        suggestions = difflib.get_close_matches(key, list(self._names), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownModelError(
            f"unknown model {wanted!r}{hint} (see `reelgate models`)",
            model=wanted,
            suggestions=suggestions or None,
        )

    def models(self) -> list[RegisteredModel]:
        """Every registered model once, in id order."""
        unique = {entry.spec.id: entry for entry in self._names.values()}
        return [unique[k] for k in sorted(unique)]

    def providers(self) -> list[ProviderStatus]:
        return [self.provider_status(name) for name in sorted(self._providers)]

    def provider_status(self, provider: str) -> ProviderStatus:
        if provider not in self._providers:
            raise ProviderNotConfiguredError(
                f"provider {provider!r} is not installed", provider=provider
            )
        spec, plugin, dist = self._providers[provider]
        return ProviderStatus(spec, plugin, dist, _missing(spec, self._settings[provider]))

    def provider_named(self, name: str) -> str:
        """The provider a user means by ``name``: a provider name (``klingai``), the plugin
        serving it (``kling``), or any model name, alias or pattern match (``kling-v2-6``).
        UnknownModelError naming the providers when none matches."""
        wanted = name.strip().lower()
        for provider, (_, plugin, _) in self._providers.items():
            if wanted in (provider.lower(), plugin.lower()):
                return provider
        try:
            return self.resolve(wanted).spec.provider.name
        except UnknownModelError:
            raise UnknownModelError(
                f"no provider or model named {name!r}; providers: "
                f"{', '.join(sorted(self._providers)) or 'none installed'}",
                model=name,
            ) from None

    def plugin_for_provider(self, provider: str) -> str:
        return self.provider_status(provider).plugin

    def provider_settings(self, provider: str) -> dict[str, str | SecretStr]:
        """The provider's settings; raises ProviderNotConfiguredError if it is not usable."""
        status = self.provider_status(provider)
        if status.missing:
            env_of = {s.name: s.env for s in status.spec.settings}
            ways = " or ".join(
                " and ".join(env_of[name] for name in group)
                for group in status.spec.configured_when
            )
            raise ProviderNotConfiguredError(
                f"provider {provider!r} is not configured: set {ways}",
                provider=provider,
                missing=list(status.missing),
            )
        return dict(self._settings[provider])

    def plain_setting(self, provider: str, name: str) -> str | None:
        """One setting of a provider that is not a secret, configured or not (None when unset):
        what a price question reads, needing no credentials."""
        value = self._settings.get(provider, {}).get(name)
        return value if isinstance(value, str) else None


def _read_settings(spec: ProviderSpec, environ: Mapping[str, str]) -> dict[str, str | SecretStr]:
    values: dict[str, str | SecretStr] = {}
    for setting in spec.settings:
        raw = environ.get(setting.env) or setting.default
        if raw:
            values[setting.name] = SecretStr(raw) if setting.secret else raw
    return values


def _missing(spec: ProviderSpec, values: Mapping[str, object]) -> tuple[str, ...]:
    if not spec.configured_when:
        return ()
    env_of = {s.name: s.env for s in spec.settings}
    best: tuple[str, ...] | None = None
    for group in spec.configured_when:
        missing = tuple(env_of[name] for name in group if name not in values)
        if not missing:
            return ()
        if best is None or len(missing) < len(best):
            best = missing
    return best or ()
