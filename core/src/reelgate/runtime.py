"""The process's provider runtime: loaded plugins, registry, validation and dispatch.

:meth:`Runtime.prepare` is the one validation path of a request: every face (HTTP API, CLI,
backfill items, the flow's validate step) calls it before anything runs, so a bad request is
refused with the same 400/501 everywhere and never becomes a flow run. Every operation hook is
called on the one plugin that serves the model or created the job, plus any wrapper plugins
(plugins that declare no models), through ``subset_hook_caller``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reelgate.capabilities import check_image_type, check_request
from reelgate.context import ProgressCallback, ProviderContext, _ignore_progress
from reelgate.errors import (
    CapabilityNotSupportedError,
    PluginError,
    ReelgateError,
    ValidationError,
)
from reelgate.hookspecs import SUBMIT_HOOKS
from reelgate.jobs import JobKind, JobStatus, ProviderJob, Submission, VideoRef
from reelgate.loader import LoadResult, load_plugins, parse_allow_list
from reelgate.media import ImageInput, VideoInput
from reelgate.pricing import Cost, Price, PriceBook, cost_of
from reelgate.registry import RegisteredModel, Registry
from reelgate.requests import DEFAULT_MODEL, ExtendRequest, GenerateRequest


@dataclass(frozen=True)
class PreparedRequest:
    """A request checked against its model: ``request`` names the resolved model id, ``hook``
    is the submit hook of its ``kind``. Building one proves the model exists, its provider is
    configured, and the model accepts the request's kind and settings."""

    request: GenerateRequest
    entry: RegisteredModel
    kind: JobKind
    hook: str

    @property
    def model(self) -> str:
        return self.entry.spec.id


class Runtime:
    """Registry plus dispatch. Safe to share between threads and event loops."""

    def __init__(
        self,
        loaded: LoadResult,
        registry: Registry,
        prices: PriceBook | None = None,
        routes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.plugin_manager = loaded.plugin_manager
        self.loaded = loaded
        self.registry = registry
        self.prices = prices or PriceBook()
        self.routes = {name.lower(): list(models) for name, models in (routes or {}).items()}
        """Operator-defined route aliases: a name → the models to try, in order."""
        provider_plugins = {p.name for p in loaded.plugins if p.models}
        self._others = {
            name: [loaded.plugin_manager.get_plugin(o) for o in provider_plugins if o != name]
            for name in provider_plugins
        }
        self._callers: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def resolve(self, model: str | None) -> RegisteredModel:
        return self.registry.resolve(model)

    def candidates(self, request: GenerateRequest) -> list[str]:
        """The models ``request`` may run on, in order: its model (or the models of the route
        it names), then its ``fallback_models``. An extension runs on its model only."""
        model = request.video.model
        if isinstance(request, ExtendRequest):
            return [model]
        names = [*self.routes.get(model.lower(), [model]), *request.video.fallback_models]
        return list(dict.fromkeys(names))

    def price_of(self, model_id: str) -> Price | None:
        """The price in force for a model: the operator's, else the plugin's."""
        return self.prices.price_of(model_id, self.resolve(model_id).spec.price)

    def estimate(self, request: GenerateRequest, model_id: str | None = None) -> Cost:
        """What ``request`` would cost on its model (or ``model_id``), before it runs."""
        spec = self.resolve(model_id or request.video.model).spec
        seconds = [float(request.video.duration_seconds)] * request.video.number_of_videos
        return self._cost(spec.id, request, seconds, "asked for")

    def most_it_may_cost(self, request: GenerateRequest) -> Cost:
        """The highest estimate among the candidates ``request`` may run on (those that pass
        :meth:`prepare`): what a budget must hold for it, whichever model serves it. Unknown
        when any of them has no known price."""
        costs = []
        for model in self.candidates(request):
            try:
                prepared = self._prepare_one(request.only_model(model), None, None)
            except ReelgateError:
                continue
            costs.append(self.estimate(prepared.request, prepared.model))
        if not costs:
            prepared = self.prepare(request)  # raises why none can run
            return self.estimate(prepared.request, prepared.model)
        unknown = [cost for cost in costs if cost.amount is None]
        return unknown[0] if unknown else max(costs, key=lambda cost: cost.amount or 0.0)

    def cost_of_videos(
        self, model_id: str, request: GenerateRequest, seconds: Sequence[float]
    ) -> Cost:
        """What the videos a provider delivered for ``request`` cost (``seconds``: each
        video's length)."""
        return self._cost(self.resolve(model_id).spec.id, request, seconds, "delivered")

    def _cost(
        self, model_id: str, request: GenerateRequest, seconds: Sequence[float], what: str
    ) -> Cost:
        spec = self.resolve(model_id).spec
        resolution = request.video.resolution or spec.default_resolution
        audio = bool(request.video.generate_audio)
        return cost_of(spec.id, self.price_of(spec.id), seconds, resolution, audio, what)

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
    ) -> PreparedRequest:
        """Check ``request`` (and the inputs fetched for it) before anything runs.

        Resolves the model, requires its provider to be configured, checks the request's kind
        and settings against the model's capabilities (and the image's type, when given), and
        picks the submit hook. Raises the core error a caller should answer with.

        A request with fallbacks (or naming a route) prepares on the first of its
        :meth:`candidates` that passes these checks, and raises the first one's error when
        none does."""
        candidates = self.candidates(request)
        if candidates == [request.video.model]:
            return self._prepare_one(request, image, video)
        first: ReelgateError | None = None
        for model in candidates:
            try:
                return self._prepare_one(request.only_model(model), image, video)
            except ReelgateError as exc:
                first = first or exc
        assert first is not None
        raise first

    def _prepare_one(
        self, request: GenerateRequest, image: ImageInput | None, video: VideoInput | None
    ) -> PreparedRequest:
        entry = self.resolve(request.video.model)
        self.registry.provider_settings(entry.spec.provider.name)
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
    ) -> ProviderJob:
        """Check and submit a job for ``request`` (text, image or extend by its inputs); the
        returned ProviderJob takes provider, model and kind from the serving ModelSpec."""
        prepared = self.prepare(request, image=image, video=video)
        kwargs: dict[str, Any] = {"model": prepared.entry.spec, "request": prepared.request}
        if prepared.kind is JobKind.IMAGE:
            kwargs["image"] = image
        elif prepared.kind is JobKind.EXTEND:
            kwargs["video"] = video
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


def job_kind(
    request: GenerateRequest,
    *,
    image: ImageInput | None = None,
    video: VideoInput | None = None,
) -> JobKind:
    """The kind of job a request (with these inputs, when fetched) is."""
    if isinstance(request, ExtendRequest) or video is not None:
        if video is None and not isinstance(request, ExtendRequest):
            raise ValidationError("an extend request needs the video to extend", field="video_id")
        return JobKind.EXTEND
    return JobKind.IMAGE if image is not None or request.input_image_url else JobKind.TEXT


def build_runtime(
    environ: Mapping[str, str] | None = None,
    extra_plugins: Sequence[tuple[str, Any]] = (),
    *,
    plugins: str | None = None,
    default_model: str | None = None,
) -> Runtime:
    """Load plugins and build the registry.

    ``plugins`` is the allow-list (comma list; None: every plugin; empty: none) and
    ``default_model`` the model of requests that name none; when not given they are read from
    ``REELGATE_PLUGINS``/``REELGATE_DEFAULT_MODEL`` in ``environ``. ``environ`` (default
    ``os.environ``) also supplies each provider's declared variables, and
    ``REELGATE_PRICES_FILE`` the operator's prices (:class:`~reelgate.pricing.PriceBook`)."""
    env = os.environ if environ is None else environ
    allow = plugins if plugins is not None else env.get("REELGATE_PLUGINS")
    loaded = load_plugins(parse_allow_list(allow), extra_plugins)
    registry = Registry(
        loaded.plugins,
        loaded.failures,
        default_model=default_model or env.get("REELGATE_DEFAULT_MODEL") or DEFAULT_MODEL,
        environ=env,
    )
    prices = PriceBook.from_file(env.get("REELGATE_PRICES_FILE"))
    return Runtime(loaded, registry, prices, parse_routes(env.get("REELGATE_ROUTES")))


def parse_routes(text: str | None) -> dict[str, list[str]]:
    """``REELGATE_ROUTES``: a JSON object of route names to the models they try, in order,
    e.g. ``{"fast-video": ["kling-v2-6", "veo-3.1-fast"]}``."""
    if not text:
        return {}
    try:
        routes = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"REELGATE_ROUTES is not JSON: {exc}") from exc
    valid = isinstance(routes, dict) and all(
        isinstance(models, list) and models and all(isinstance(m, str) for m in models)
        for models in routes.values()
    )
    if not valid:
        raise ValidationError("REELGATE_ROUTES must map route names to lists of model names")
    return {str(name): list(models) for name, models in routes.items()}


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


__all__ = [
    "PreparedRequest",
    "Runtime",
    "build_runtime",
    "get_runtime",
    "job_kind",
    "set_runtime",
    "set_runtime_factory",
]
