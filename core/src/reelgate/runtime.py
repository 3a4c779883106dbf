"""The process's provider runtime: loaded plugins, registry, and dispatch of operation hooks.

:func:`get_runtime` builds it once per process from the environment (``REELGATE_PLUGINS``,
``REELGATE_DEFAULT_MODEL`` and each provider's declared variables). Every operation hook is
called on the one plugin that serves the model or created the job, plus any wrapper plugins
(plugins that declare no models), through ``subset_hook_caller``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from reelgate.capabilities import check_request
from reelgate.context import ProgressCallback, ProviderContext, _ignore_progress
from reelgate.errors import CapabilityNotSupportedError, PluginError, ValidationError
from reelgate.jobs import Job, JobKind, JobStatus, VideoRef
from reelgate.loader import LoadResult, load_plugins, parse_allow_list
from reelgate.media import ImageInput, VideoInput
from reelgate.registry import RegisteredModel, Registry
from reelgate.requests import DEFAULT_MODEL, ExtendRequest, GenerateRequest

_SUBMIT_HOOK = {
    JobKind.TEXT: "reelgate_generate",
    JobKind.IMAGE: "reelgate_generate_from_image",
    JobKind.EXTEND: "reelgate_extend",
}


class Runtime:
    """Registry plus dispatch. Safe to share between threads and event loops."""

    def __init__(self, loaded: LoadResult, registry: Registry) -> None:
        self.plugin_manager = loaded.plugin_manager
        self.loaded = loaded
        self.registry = registry
        provider_plugins = {p.name for p in loaded.plugins if p.models}
        self._others = {
            name: [loaded.plugin_manager.get_plugin(o) for o in provider_plugins if o != name]
            for name in provider_plugins
        }
        self._callers: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def resolve(self, model: str | None) -> RegisteredModel:
        return self.registry.resolve(model)

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
    ) -> Job:
        """Check and submit a job for ``request`` (text, image or extend by its inputs)."""
        entry = self.resolve(request.video.model)
        kind = job_kind(request, image=image, video=video)
        check_request(entry.spec, request, kind)
        kwargs: dict[str, Any] = {"model": entry.spec, "request": request, "ctx": ctx}
        if kind is JobKind.IMAGE:
            kwargs["image"] = image
        elif kind is JobKind.EXTEND:
            kwargs["video"] = video
        job = await self._call(entry.plugin, _SUBMIT_HOOK[kind], kwargs)
        if not isinstance(job, Job):
            raise PluginError(f"plugin {entry.plugin!r} returned {type(job).__name__}, not Job")
        return job

    async def poll(self, job: Job, ctx: ProviderContext) -> JobStatus:
        plugin = self.registry.plugin_for_provider(job.provider)
        status: JobStatus = await self._call(plugin, "reelgate_poll", {"job": job, "ctx": ctx})
        return status

    def download(self, job: Job, video: VideoRef, ctx: ProviderContext) -> AsyncIterator[bytes]:
        plugin = self.registry.plugin_for_provider(job.provider)
        stream: AsyncIterator[bytes] = self._one_result(
            plugin, "reelgate_download", {"job": job, "video": video, "ctx": ctx}
        )
        return stream

    async def cancel(self, job: Job, ctx: ProviderContext) -> None:
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
    request: GenerateRequest, *, image: ImageInput | None, video: VideoInput | None
) -> JobKind:
    """The kind of job a request with these inputs is."""
    if isinstance(request, ExtendRequest) or video is not None:
        if video is None:
            raise ValidationError("an extend request needs the video to extend", field="video_id")
        return JobKind.EXTEND
    return JobKind.IMAGE if image is not None else JobKind.TEXT


def build_runtime(
    environ: Mapping[str, str] | None = None,
    extra_plugins: Sequence[tuple[str, Any]] = (),
) -> Runtime:
    """Load plugins and build the registry from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    loaded = load_plugins(parse_allow_list(env.get("REELGATE_PLUGINS")), extra_plugins)
    registry = Registry(
        loaded.plugins,
        loaded.failures,
        default_model=env.get("REELGATE_DEFAULT_MODEL") or DEFAULT_MODEL,
        environ=env,
    )
    return Runtime(loaded, registry)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """The process's runtime, built on first use."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = build_runtime()
        return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """Replace (or with None, forget) the process's runtime; for embedding and tests."""
    global _runtime
    with _runtime_lock:
        _runtime = runtime


__all__ = ["Runtime", "build_runtime", "get_runtime", "job_kind", "set_runtime"]
