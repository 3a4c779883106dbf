"""Retry conditions for Prefect tasks, read from the core errors' own flags."""

from __future__ import annotations

from typing import Any

from reelgate.errors import ReelgateError


def _error(state: Any) -> BaseException | None:
    data = getattr(state, "data", None)
    return data if isinstance(data, BaseException) else None


def retry_if_retryable(task: Any, task_run: Any, state: Any) -> bool:
    """Retry transient failures only (idempotent steps: poll, download, fetch)."""
    error = _error(state)
    return isinstance(error, ReelgateError) and error.retryable


def retry_if_safe_to_resubmit(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a submission only when its failure proves the provider accepted nothing."""
    error = _error(state)
    return isinstance(error, ReelgateError) and error.safe_to_resubmit
