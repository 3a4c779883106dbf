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

from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pluggy

from reelgate.context import ProviderContext
from reelgate.jobs import JobKind, JobStatus, ProviderJob, Submission, VideoRef
from reelgate.media import ImageInput, ReferenceInput, VideoInput
from reelgate.moderation import Verdict
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.signing import ContentSigner
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

SUBMIT_HOOKS: Mapping[JobKind, str] = MappingProxyType(
    {
        JobKind.TEXT: "reelgate_generate",
        JobKind.IMAGE: "reelgate_generate_from_image",
        JobKind.EXTEND: "reelgate_extend",
    }
)
"""The submit hook of each job kind: a model declaring a kind must implement its hook."""


def required_hooks(spec: ModelSpec) -> set[str]:
    """The operation hooks a plugin serving ``spec`` must implement: poll and download, the
    submit hook of every declared kind, and cancel when it declares cancel."""
    required = {"reelgate_poll", "reelgate_download"}
    required |= {SUBMIT_HOOKS[kind] for kind in spec.capabilities.kinds}
    if spec.capabilities.cancel:
        required.add("reelgate_cancel")
    return required


@hookspec
def reelgate_models() -> Sequence[ModelSpec]:  # type: ignore[empty-body]
    """Return the models this plugin serves (an empty sequence for non-provider plugins)."""


@hookspec
def reelgate_generate(  # type: ignore[empty-body]
    model: ModelSpec,
    request: GenerateRequest,
    ctx: ProviderContext,
    references: Sequence[ReferenceInput],
) -> Coroutine[Any, Any, Submission]:
    """Submit a text-to-video job; return what the provider accepted. Spends money.
    ``references``: the request's references, fetched and checked (as many of each type and
    role as the model's ``Capabilities.references`` take; empty for a model that takes none);
    an implementation that takes none may leave the parameter out.

    Raise a core error when the provider refused it; raise ``SubmissionNotAcceptedError`` or
    ``RateLimitedError`` only when the provider proves nothing was accepted (the core then
    may submit again), anything else when that is unclear (the core never resubmits)."""


@hookspec
def reelgate_generate_from_image(  # type: ignore[empty-body]
    model: ModelSpec,
    request: GenerateRequest,
    image: ImageInput,
    ctx: ProviderContext,
    references: Sequence[ReferenceInput],
) -> Coroutine[Any, Any, Submission]:
    """Submit an image-to-video job (``image`` is the first frame); as ``reelgate_generate``."""


@hookspec
def reelgate_extend(  # type: ignore[empty-body]
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Coroutine[Any, Any, Submission]:
    """Submit a job that continues ``video``; as ``reelgate_generate``."""


@hookspec
def reelgate_poll(  # type: ignore[empty-body]
    job: ProviderJob, ctx: ProviderContext
) -> Coroutine[Any, Any, JobStatus]:
    """Return the job's current status. Raise only for failures of the poll itself."""


@hookspec
def reelgate_download(  # type: ignore[empty-body]
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Return an async iterator over the finished video's bytes (an async generator)."""


@hookspec
def reelgate_cancel(  # type: ignore[empty-body]
    job: ProviderJob, ctx: ProviderContext
) -> Coroutine[Any, Any, None]:
    """Ask the provider to cancel the job. Optional: declare ``Capabilities.cancel``."""


@hookspec
def reelgate_moderate(  # type: ignore[empty-body]
    request: GenerateRequest,
) -> Coroutine[Any, Any, Verdict | None]:
    """Judge ``request`` (a generation or an extension; ``input_image_url`` as sent: a URL, a
    data URI, or a local path from the CLI) before anything is submitted or paid. Answer a
    :class:`~reelgate.moderation.Verdict`, or None to have no opinion. Called on every
    moderator plugin that applies to the request's customer (``REELGATE_MODERATORS``), at
    admission on every face; never for an estimate. A moderator that cannot judge raises a core
    error (e.g. ``ProviderUnavailableError``) to fail closed, or answers None to fail open."""


@hookspec(firstresult=True)
def reelgate_content_signer() -> ContentSigner | None:
    """The signer of the content credentials (C2PA) of every stored video, for a plugin
    whose key lives in a KMS or an HSM; None to leave it to ``REELGATE_C2PA_CERT`` and
    ``REELGATE_C2PA_KEY``. The first plugin answering one is used."""
