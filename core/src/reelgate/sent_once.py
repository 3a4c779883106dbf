"""The create of a provider that cannot prove a lost submission (no idempotency key, no task
list: ``ProviderSpec.lost_submission_proof`` is None): it is sent once, and when its answer is
lost the job ends in one final error that says so.

A plugin wraps its create in :func:`sent_once`. A refusal (``safe_to_resubmit``) and a final
error pass through unchanged; an unclear failure (retryable but not safe to resubmit: a
timeout, a reset, a 5xx, an answer that is no task) becomes :func:`unclear_create`'s error,
``retryable`` false, which no retry, re-run or fallback sends again."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from reelgate.errors import ProviderUnavailableError, ReelgateError
from reelgate.specs import ProviderSpec


def unclear_create(
    error: ReelgateError, sent_at: datetime.datetime, provider: ProviderSpec, label: str
) -> ReelgateError:
    """The final error of a create that ``label`` (the provider's name for people) may have
    accepted and billed: never sent again, and naming where a person can find the task
    (``provider.support``)."""
    when = sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    where = provider.support or f"{label}'s console"
    final = ProviderUnavailableError(
        f"{label} may have made (and billed) this video: the answer to its create was lost "
        f"({error.message}). {label} offers no way to check, so it is not sent again; look "
        f"for a task created at about {when} in {where}",
        provider=provider.name,
        unclear_submission=True,
        submitted_at=when,
        retryable=False,
    )
    final.__cause__ = error
    return final


@asynccontextmanager
async def sent_once(provider: ProviderSpec, label: str) -> AsyncIterator[datetime.datetime]:
    """Around a create: yields the time it is sent; an unclear failure inside becomes
    :func:`unclear_create`'s final error."""
    sent_at = datetime.datetime.now(datetime.UTC)
    try:
        yield sent_at
    except ReelgateError as error:
        if error.retryable and not error.safe_to_resubmit:
            raise unclear_create(error, sent_at, provider, label) from error
        raise
