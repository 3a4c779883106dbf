"""In-process progress events of running jobs, for displays such as the CLI's progress bar.

Listeners are called from whatever thread runs the flow; they must be quick and thread-safe.
A run started as a part of a plan (a storyboard's shot, :data:`PART_OF`) also tells the plan:
its step becomes the plan's, as ``shot k of n: <step>: <message>``, and its rendering progress
the plan's share of it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from dataclasses import dataclass

from reelgate.jobs import ProviderJob


@dataclass(frozen=True)
class ProgressEvent:
    job_id: str
    step: str
    fraction: float | None
    message: str
    provider_job: ProviderJob | None = None
    """Set once the provider accepted the job (on the ``wait`` step)."""


@dataclass(frozen=True)
class Part:
    """Which part of which plan a run is: ``index`` of ``count`` of job ``plan_job_id``."""

    plan_job_id: str
    index: int
    count: int


PART_OF: contextvars.ContextVar[Part | None] = contextvars.ContextVar(
    "reelgate_part_of", default=None
)

Listener = Callable[[ProgressEvent], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def subscribe(listener: Listener) -> Callable[[], None]:
    """Register ``listener``; returns a function that unregisters it."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def emit(event: ProgressEvent) -> None:
    with _lock:
        listeners = list(_listeners)
    part = PART_OF.get()
    events = [event]
    if part is not None and event.job_id != part.plan_job_id:
        rendering = event.step == "wait" and event.fraction is not None  # the provider's part
        done = (part.index + (event.fraction or 0.0)) / part.count if rendering else None
        words = f"shot {part.index + 1} of {part.count}: {event.step}: {event.message}"
        events.append(ProgressEvent(part.plan_job_id, "shot", done, words))
    for listener in listeners:
        for each in events:
            listener(each)
