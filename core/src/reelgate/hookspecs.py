"""The provider plugin contract (pluggy project and entry-point group ``reelgate``).

A provider plugin implements ``reelgate_models`` (a collector called on every plugin) and the
operation hooks as ``async def`` functions. The core calls an operation hook only on the one
plugin that declared the model (``PluginManager.subset_hook_caller``), so operation hooks are
plain collectors that in practice have exactly one implementation answering; they are never
``firstresult`` races and never need to ask "is this model mine?". A plugin that declares no
models may implement operation hooks with ``wrapper=True`` to wrap every provider call (audit,
moderation, cost): it then sees the list holding the provider's coroutine and may replace it.
Every hook here is documented in ``docs/plugin-hooks.md``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any

import pluggy

from reelgate.context import ProviderContext
from reelgate.jobs import Job, JobStatus, VideoRef
from reelgate.media import ImageInput, VideoInput
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.specs import ModelSpec

PROJECT_NAME = "reelgate"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

OPERATION_HOOKS: tuple[str, ...] = (
    "reelgate_generate",
    "reelgate_generate_from_image",
    "reelgate_extend",
    "reelgate_poll",
    "reelgate_download",
    "reelgate_cancel",
)
"""Hooks dispatched to the one plugin that serves a model or created a job."""


@hookspec
def reelgate_models() -> Sequence[ModelSpec]:  # type: ignore[empty-body]
    """Return the models this plugin serves (an empty sequence for non-provider plugins)."""


@hookspec
def reelgate_generate(  # type: ignore[empty-body]
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Coroutine[Any, Any, Job]:
    """Submit a text-to-video job and return it once the provider accepted it. Spends money."""


@hookspec
def reelgate_generate_from_image(  # type: ignore[empty-body]
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Coroutine[Any, Any, Job]:
    """Submit an image-to-video job (``image`` is the first frame) and return it."""


@hookspec
def reelgate_extend(  # type: ignore[empty-body]
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Coroutine[Any, Any, Job]:
    """Submit a job that continues ``video`` and return it."""


@hookspec
def reelgate_poll(  # type: ignore[empty-body]
    job: Job, ctx: ProviderContext
) -> Coroutine[Any, Any, JobStatus]:
    """Return the job's current status. Raise only for failures of the poll itself."""


@hookspec
def reelgate_download(  # type: ignore[empty-body]
    job: Job, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Return an async iterator over the finished video's bytes (an async generator)."""


@hookspec
def reelgate_cancel(  # type: ignore[empty-body]
    job: Job, ctx: ProviderContext
) -> Coroutine[Any, Any, None]:
    """Ask the provider to cancel the job. Optional: declare ``Capabilities.cancel``."""
