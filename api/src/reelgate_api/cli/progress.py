"""The CLI's progress display (rich), fed by the flows' in-process progress events."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from reelgate_flows.progress import ProgressEvent, subscribe


def _nothing() -> None:
    return None


class ProgressDisplay:
    """A one-line bar showing the running step and the provider's progress."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("starting the flow engine (Prefect)", total=1.0)
        self._unsubscribe: Callable[[], None] = _nothing

    def _on_event(self, event: ProgressEvent) -> None:
        description = f"{event.step}: {event.message}"
        if event.fraction is None:
            self._progress.update(self._task, description=description)
        else:
            self._progress.update(self._task, description=description, completed=event.fraction)

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self._progress.start()
            self._unsubscribe = subscribe(self._on_event)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._unsubscribe()
        if self.enabled:
            self._progress.stop()
