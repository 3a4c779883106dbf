"""The process's provider runtime: loaded plugins, registry, validation and dispatch.

:meth:`Runtime.prepare` is the one validation path of a request: every face (HTTP API, CLI,
backfill items, the flow's validate step) calls it before anything runs, so a bad request is
refused with the same 400/501 everywhere and never becomes a flow run. Every operation hook is
called on the one plugin that serves the model or created the job, plus any wrapper plugins
(plugins that declare no models), through ``subset_hook_caller``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from typing import Any

from reelgate.capabilities import check_image_type, check_request
from reelgate.context import ProgressCallback, ProviderContext, _ignore_progress
from reelgate.costs import Costs
from reelgate.defaults import default_model, names_model, with_model_defaults
from reelgate.errors import (
    CapabilityNotSupportedError,
    PluginError,
    ReelgateError,
)
from reelgate.hookspecs import SUBMIT_HOOKS
from reelgate.jobs import JobKind, JobStatus, ProviderJob, Submission, VideoRef
from reelgate.lifecycle import Lifecycle, deprecation_warning, living_models
from reelgate.loader import LoadResult
from reelgate.media import ImageInput, ReferenceInput, VideoInput
from reelgate.moderation import moderate
from reelgate.prepared import PreparedRequest, job_kind
from reelgate.pricing import PriceBook
from reelgate.registry import RegisteredModel, Registry
from reelgate.requests import ExtendRequest, GenerateRequest


class Runtime(Costs):
    """Registry plus dispatch. Safe to share between threads and event loops."""

    def __init__(
        self,
        loaded: LoadResult,
        registry: Registry,
        prices: PriceBook | None = None,
        routes: Mapping[str, Sequence[str]] | None = None,
        lifecycles: Mapping[str, Lifecycle] | None = None,
        route_orders: Mapping[str, str] | None = None,
    ) -> None:
        self.plugin_manager = loaded.plugin_manager
        self.loaded = loaded
        self.registry = registry
        self.prices = prices or PriceBook()
        self.routes = {name.lower(): list(models) for name, models in (routes or {}).items()}
        """Operator-defined route aliases: a name → the models to try, in order."""
        self.lifecycles = {name.lower(): dates for name, dates in (lifecycles or {}).items()}
        """The operator's dates over the plugins' (``REELGATE_MODEL_LIFECYCLE``)."""
        self.route_orders = {name.lower(): order for name, order in (route_orders or {}).items()}
        """How each route orders its models (``as_listed`` when it says nothing)."""
        provider_plugins = {p.name for p in loaded.plugins if p.models}
        self._others = {
            name: [loaded.plugin_manager.get_plugin(o) for o in provider_plugins if o != name]
            for name in provider_plugins
        }
        self._callers: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def resolve(self, model: str | None) -> RegisteredModel:
        return self.registry.resolve(model)

    async def moderate(
        self, request: GenerateRequest, moderators: Collection[str] | None = None
    ) -> list[str]:
        """Judge ``request`` with the moderator plugins (all, or those named); raises
        ContentRejectedError on a refusal (:func:`reelgate.moderation.moderate`)."""
        return await moderate(self.plugin_manager, request, moderators)

    def candidates(self, request: GenerateRequest, configured: bool = False) -> list[str]:
        """The models ``request`` may run on, in order: its model (the default model when it
        names none, :func:`~reelgate.defaults.default_model`; or the models of the route it
        names), then its ``fallback_models``. An extension runs on its model only.
        ``configured``: a default model that cannot run here is refused."""
        model = (
            request.video.model
            if names_model(request)
            else default_model(self.registry, configured)
        )
        if isinstance(request, ExtendRequest):
            return living_models(self.lifecycle_of, [model], routed=False)
        names = [*self.routes.get(model.lower(), [model]), *request.video.fallback_models]
        routed = model.lower() in self.routes or bool(request.video.fallback_models)
        return list(dict.fromkeys(living_models(self.lifecycle_of, names, routed)))

    def route_order(self, request: GenerateRequest) -> str:
        """How ``request``'s :meth:`candidates` are ordered: as the request says
        (``fallback_order``), else as its route says, else ``as_listed``."""
        if request.video.fallback_order:
            return request.video.fallback_order
        return self.route_orders.get(request.video.model.lower(), "as_listed")

    def lifecycle_of(self, model: str) -> Lifecycle | None:
        """The dates of ``model`` (the operator's over the plugin's); None for a name no
        plugin serves."""
        try:
            spec = self.resolve(model).spec
        except ReelgateError:
            return None
        declared = Lifecycle.of(spec)
        override = self.lifecycles.get(spec.id.lower())
        return declared if override is None else override.over(declared)

    def deprecation_warnings(self, model: str) -> list[dict[str, Any]]:
        """The ``warnings`` entries of a job served by ``model`` (none unless deprecated)."""
        lifecycle = self.lifecycle_of(model)
        if lifecycle is None or lifecycle.stage() != "deprecated":
            return []
        return [deprecation_warning(self.resolve(model).spec.id, lifecycle)]

    def load_configured(self) -> list[str]:
        """Import now what the plugins of configured providers defer to their first call
        (:class:`~reelgate.deferred.DeferredPlugin`); returns those plugins' names. Blocks:
        call from a thread in a service."""
        names = sorted({status.plugin for status in self.registry.providers() if status.configured})
        for name in names:
            load = getattr(self.plugin_manager.get_plugin(name), "load", None)
            if callable(load):
                load()
        return names

    def prepare(
        self,
        request: GenerateRequest,
        *,
        image: ImageInput | None = None,
        video: VideoInput | None = None,
        configured: bool = True,
    ) -> PreparedRequest:
        """Check ``request`` (and the inputs fetched for it) before anything runs.

        Resolves the model, requires its provider to be configured (unless ``configured`` is
        False: a price question needs no credentials), checks the request's kind and settings
        against the model's capabilities and the rules between them (and the image's type,
        when given), and picks the submit hook. Raises the core error a caller should answer
        with.

        A request with fallbacks (or naming a route) prepares on the first of its
        :meth:`candidates` that passes these checks, and raises the first one's error when
        none does."""
        candidates = self.candidates(request, configured)
        if not names_model(request):
            request = request.with_model(candidates[0])  # the default, pinned
        if candidates == [request.video.model]:
            return self._prepare_one(request, image, video, configured)
        first: ReelgateError | None = None
        for model in candidates:
            try:
                return self._prepare_one(request.only_model(model), image, video, configured)
            except ReelgateError as exc:
                first = first or exc
        assert first is not None
        raise first

    def _prepare_one(
        self,
        request: GenerateRequest,
        image: ImageInput | None,
        video: VideoInput | None,
        configured: bool = True,
    ) -> PreparedRequest:
        entry = self.resolve(request.video.model)
        if configured:
            self.registry.provider_settings(entry.spec.provider.name)
        request = with_model_defaults(entry.spec, request)
        kind = job_kind(request, image=image, video=video)
        check_request(entry.spec, request, kind)
        if image is not None:
            check_image_type(entry.spec, image.mime_type)
        pinned = (
            request if request.video.model == entry.spec.id else request.with_model(entry.spec.id)
        )
        return PreparedRequest(pinned, entry, kind, SUBMIT_HOOKS[kind])

    def context(
        self,
        provider: str,
        *,
        job_id: str | None = None,
        submission_id: str | None = None,
        progress: ProgressCallback = _ignore_progress,
        http_client: Any = None,
    ) -> ProviderContext:
        """A ProviderContext for ``provider``; raises if the provider is not configured."""
        return ProviderContext(
            settings=self.registry.provider_settings(provider),
            logger=logging.getLogger(f"reelgate.provider.{provider}"),
            progress=progress,
            http_client=http_client,
            job_id=job_id,
            submission_id=submission_id,
        )

    async def submit(
        self,
        request: GenerateRequest,
        ctx: ProviderContext,
        *,
        image: ImageInput | None = None,
        video: VideoInput | None = None,
        references: Sequence[ReferenceInput] = (),
    ) -> ProviderJob:
        """Check and submit a job for ``request`` (text, image or extend by its inputs, with
        its fetched ``references``); the returned ProviderJob takes provider, model and kind
        from the serving ModelSpec."""
        prepared = self.prepare(request, image=image, video=video)
        kwargs: dict[str, Any] = {"model": prepared.entry.spec, "request": prepared.request}
        if prepared.kind is JobKind.IMAGE:
            kwargs["image"] = image
        elif prepared.kind is JobKind.EXTEND:
            kwargs["video"] = video
        if prepared.kind is not JobKind.EXTEND:
            kwargs["references"] = list(references)
        plugin = prepared.entry.plugin
        accepted = await self._call(plugin, prepared.hook, {**kwargs, "ctx": ctx})
        if not isinstance(accepted, Submission):
            raise PluginError(
                f"hook {prepared.hook} of plugin {plugin!r} returned "
                f"{type(accepted).__name__}, not reelgate.Submission"
            )
        spec = prepared.entry.spec
        return ProviderJob(
            provider=spec.provider.name,
            model=spec.id,
            provider_model=spec.provider_model,
            provider_job_id=accepted.provider_job_id,
            kind=prepared.kind,
            state=accepted.state,
        )

    async def poll(self, job: ProviderJob, ctx: ProviderContext) -> JobStatus:
        plugin = self.registry.plugin_for_provider(job.provider)
        status: JobStatus = await self._call(plugin, "reelgate_poll", {"job": job, "ctx": ctx})
        return status

    def download(
        self, job: ProviderJob, video: VideoRef, ctx: ProviderContext
    ) -> AsyncIterator[bytes]:
        plugin = self.registry.plugin_for_provider(job.provider)
        stream: AsyncIterator[bytes] = self._one_result(
            plugin, "reelgate_download", {"job": job, "video": video, "ctx": ctx}
        )
        return stream

    async def cancel(self, job: ProviderJob, ctx: ProviderContext) -> None:
        entry = self.resolve(job.model)
        if not entry.spec.capabilities.cancel:
            raise CapabilityNotSupportedError(
                f"provider {job.provider!r} cannot cancel jobs", provider=job.provider
            )
        await self._call(entry.plugin, "reelgate_cancel", {"job": job, "ctx": ctx})

    async def _call(self, plugin: str, hook: str, kwargs: Mapping[str, Any]) -> Any:
        return await self._one_result(plugin, hook, kwargs)

    def _one_result(self, plugin: str, hook: str, kwargs: Mapping[str, Any]) -> Any:
        results = self._caller(plugin, hook)(**kwargs)
        if len(results) != 1:
            raise PluginError(
                f"hook {hook} of plugin {plugin!r} gave {len(results)} results; expected one"
            )
        return results[0]

    def _caller(self, plugin: str, hook: str) -> Callable[..., list[Any]]:
        key = (plugin, hook)
        with self._lock:
            caller = self._callers.get(key)
            if caller is None:
                caller = self.plugin_manager.subset_hook_caller(hook, self._others[plugin])
                self._callers[key] = caller
        return caller


__all__ = ["PreparedRequest", "Runtime", "job_kind"]
