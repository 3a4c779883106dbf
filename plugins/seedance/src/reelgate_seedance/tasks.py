"""Creating a Seedance task exactly once. ModelArk takes no idempotency key, so the seed is
derived from the submission id when the caller gave none, and a create whose answer was lost
(a timeout, a reset, a 5xx, a malformed answer) is looked for in the model's task list (newest
first) among the tasks created since shortly before it, matched on the echoed seed,
resolution, ratio and duration: one match is adopted; none while the list is read for
``lookup_seconds`` proves nothing was made; two or more prove nothing, and the error stands."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from reelgate import ProviderContext
from reelgate.errors import ProviderUnavailableError, ReelgateError
from reelgate.lookup import adopt_or_prove_absent
from reelgate_seedance.client import PROVIDER, send

TASKS = "/contents/generations/tasks"
SEED_LIMIT = 4_294_967_296
PAGE_SIZE = 50
ECHOED = ("seed", "resolution", "ratio", "duration")


def seed_of(submission_id: str | None, asked: int | None) -> int | None:
    """The caller's seed, else one derived from the submission id (the same for every retry
    and re-run of one request: the fingerprint of its task in the list)."""
    if asked is not None:
        return asked % SEED_LIMIT
    if not submission_id:
        return None
    return int(hashlib.sha256(submission_id.encode()).hexdigest()[:8], 16)


async def create_once(ctx: ProviderContext, body: dict[str, Any]) -> str:
    """The id of the task ``body`` creates (or created, when the answer was lost)."""
    started = time.time()
    try:
        answer = await send(ctx, "POST", TASKS, "create", json=body)
        if not answer.get("id"):
            raise ProviderUnavailableError(
                "Seedance answered the create without a task id", provider=PROVIDER
            )
        return str(answer["id"])
    except ReelgateError as error:
        if error.retryable and not error.safe_to_resubmit:
            window = float(ctx.setting("lookup_seconds") or 10)
            found = await adopt_or_prove_absent(
                lambda: _matching_tasks(ctx, body, started),
                window,
                error,
                f"no matching task appeared in Seedance's task list within {window:g} s, so "
                "none was made and it may be submitted again",
            )
            ctx.logger.info("adopted Seedance task %s of a create whose answer was lost", found)
            return found
        raise


async def _matching_tasks(
    ctx: ProviderContext, body: dict[str, Any], started: float
) -> list[str] | None:
    """The ids of the model's tasks created since shortly before ``started`` that echo the
    body's seed, resolution, ratio and duration; None when the list cannot be read."""
    since = started - 60
    found: list[str] = []
    for page in range(1, 50):
        params = {"page_num": page, "page_size": PAGE_SIZE, "filter.model": body["model"]}
        try:
            answer = await send(ctx, "GET", TASKS, "list", params=params)
        except ReelgateError:
            return None
        items = answer.get("items") or []
        recent = [item for item in items if float(item.get("created_at") or 0) >= since]
        found += [str(item["id"]) for item in recent if _same(item, body)]
        if len(items) < PAGE_SIZE or len(recent) < len(items):  # newest first: done
            return found
    return None


def _same(item: dict[str, Any], body: dict[str, Any]) -> bool:
    return all(str(item.get(name)) == str(body.get(name)) for name in ECHOED if name in body)
