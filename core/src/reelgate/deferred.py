"""A plugin whose SDK is imported on its first provider call, not when reelgate starts.

Loading every plugin happens before any request is checked (``reelgate models``, the CLI's
validation, the API's start), so an entry point that imports a large SDK (openai, google-genai)
costs every command that time. A :class:`DeferredPlugin` declares its models at once and
imports the module implementing the operation hooks only when one is called::

    # reelgate_acme/hooks.py — the module named by the ``reelgate`` entry point
    # holds async def reelgate_generate(...), reelgate_poll(...), reelgate_download(...)
    plugin = DeferredPlugin("reelgate_acme.plugin", models=MODELS)

The deferred plugin offers the operation hooks the models' capabilities require (poll,
download, the submit hook of every declared kind, cancel when declared), or those named by
``hooks``; the module's functions keep the hookspec signatures.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterable, Sequence
from inspect import signature
from types import ModuleType
from typing import Any

from reelgate.context import ProviderContext
from reelgate.errors import PluginError
from reelgate.hookspecs import OPERATION_HOOKS, hookimpl, required_hooks
from reelgate.jobs import JobStatus, ProviderJob, Submission, VideoRef
from reelgate.media import ImageInput, ReferenceInput, VideoInput
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.specs import ModelSpec


def _given(hook: Any, references: Sequence[ReferenceInput]) -> dict[str, Any]:
    """``references`` as the keyword ``hook`` takes, or nothing when it takes none."""
    return {"references": references} if "references" in signature(hook).parameters else {}


class DeferredPlugin:
    """See the module docstring."""

    def __init__(
        self, module: str, *, models: Sequence[ModelSpec], hooks: Iterable[str] | None = None
    ) -> None:
        wanted = (
            set(hooks)
            if hooks is not None
            else set().union(*(required_hooks(spec) for spec in models))
        )
        unknown = wanted - set(OPERATION_HOOKS)
        if unknown:
            raise PluginError(f"not reelgate operation hooks: {sorted(unknown)}")
        self._module_name = module
        self._module: ModuleType | None = None
        self._models = tuple(models)
        for name in set(OPERATION_HOOKS) - wanted:
            setattr(self, name, None)  # hides the delegate: pluggy registers routines only

    def load(self) -> None:
        """Import the implementing module now (a service does so at start, rather than
        during its first job)."""
        if self._module is None:
            self._module = importlib.import_module(self._module_name)

    def _target(self, hook: str) -> Any:
        self.load()
        return getattr(self._module, hook)

    @hookimpl
    def reelgate_models(self) -> Sequence[ModelSpec]:
        return self._models

    @hookimpl
    async def reelgate_generate(
        self,
        model: ModelSpec,
        request: GenerateRequest,
        ctx: ProviderContext,
        references: Sequence[ReferenceInput],
    ) -> Submission:
        hook = self._target("reelgate_generate")
        accepted: Submission = await hook(model, request, ctx, **_given(hook, references))
        return accepted

    @hookimpl
    async def reelgate_generate_from_image(
        self,
        model: ModelSpec,
        request: GenerateRequest,
        image: ImageInput,
        ctx: ProviderContext,
        references: Sequence[ReferenceInput],
    ) -> Submission:
        hook = self._target("reelgate_generate_from_image")
        accepted: Submission = await hook(model, request, image, ctx, **_given(hook, references))
        return accepted

    @hookimpl
    async def reelgate_extend(
        self, model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
    ) -> Submission:
        accepted: Submission = await self._target("reelgate_extend")(model, request, video, ctx)
        return accepted

    @hookimpl
    async def reelgate_poll(self, job: ProviderJob, ctx: ProviderContext) -> JobStatus:
        status: JobStatus = await self._target("reelgate_poll")(job, ctx)
        return status

    @hookimpl
    async def reelgate_download(
        self, job: ProviderJob, video: VideoRef, ctx: ProviderContext
    ) -> AsyncIterator[bytes]:
        async for chunk in self._target("reelgate_download")(job, video, ctx):
            yield chunk

    @hookimpl
    async def reelgate_cancel(self, job: ProviderJob, ctx: ProviderContext) -> None:
        await self._target("reelgate_cancel")(job, ctx)
