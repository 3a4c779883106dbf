"""What the core hands a plugin for every call: settings, shared HTTP client, progress, logger.

Plugins never read environment variables or build global clients; they take everything from
the :class:`ProviderContext`. Secrets are :class:`pydantic.SecretStr` and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

ProgressCallback = Callable[[float | None, str], None]
"""``progress(fraction_or_None, message)``; fraction in [0, 1]."""


def _ignore_progress(fraction: float | None, message: str) -> None:
    return None


@dataclass(frozen=True)
class ProviderContext:
    """Per-call context. ``http_client`` is the process's shared ``httpx.AsyncClient`` when the
    caller has one (typed loosely so the core does not depend on httpx); ``job_id`` is
    reelgate's job id (the flow run id). ``submission_id`` is the same for every attempt and
    re-run of one request (same idempotency key and body): the id to send as the provider's
    idempotency or external task id, so a lost answer can be reconciled."""

    settings: Mapping[str, str | SecretStr]
    logger: logging.Logger
    progress: ProgressCallback = _ignore_progress
    http_client: Any = None
    job_id: str | None = None
    submission_id: str | None = None

    def setting(self, name: str) -> str | None:
        """The plain value of a setting (secrets revealed), or None when it is not set."""
        value = self.settings.get(name)
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return value

    def require(self, name: str) -> str:
        """Like :meth:`setting` but raises ProviderNotConfiguredError when it is missing."""
        from reelgate.errors import ProviderNotConfiguredError

        value = self.setting(name)
        if not value:
            raise ProviderNotConfiguredError(f"setting {name!r} is not set", missing=[name])
        return value
