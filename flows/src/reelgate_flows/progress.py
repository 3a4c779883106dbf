"""In-process progress events of running jobs, for displays such as the CLI's progress bar.

Listeners are called from whatever thread runs the flow; they must be quick and thread-safe.
"""

from __future__ import annotations

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
    for listener in listeners:
        listener(event)
