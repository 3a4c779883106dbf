"""Creating a Wan task exactly once. DashScope takes no idempotency key, so a create whose
answer was lost (a timeout, a reset, a 5xx, a malformed answer) is looked for in the task list
of its model around its submit time, matched on its prompt and its seed (derived from the
submission id when the caller gave none): one match is adopted; none while the list is read for
``lookup_seconds`` proves nothing was made (safe to submit again); two or more prove nothing,
and the error stands (never resubmitted)."""

from __future__ import annotations

import datetime
import hashlib
import time
from typing import Any

from reelgate import ProviderContext
from reelgate.errors import ProviderUnavailableError, ReelgateError
from reelgate.lookup import adopt_or_prove_absent
from reelgate_wan.client import PROVIDER, send

CREATE_PATH = "/services/aigc/video-generation/video-synthesis"
SEED_LIMIT = 2_147_483_647
PAGE_SIZE = 100


def seed_of(submission_id: str | None, asked: int | None) -> int | None:
    """The caller's seed, else one derived from the submission id (the same for every retry
    and re-run of one request, so a lost create's task is recognised by it)."""
    if asked is not None:
        return asked % SEED_LIMIT
    if not submission_id:
        return None
    return int(hashlib.sha256(submission_id.encode()).hexdigest()[:12], 16) % SEED_LIMIT


async def create_once(ctx: ProviderContext, body: dict[str, Any]) -> str:
    """The id of the task ``body`` creates (or created, when the answer was lost)."""
    started = time.time()
    try:
        answer = await send(ctx, "POST", CREATE_PATH, "create", json=body, asynchronous=True)
        task_id = (answer.get("output") or {}).get("task_id")
        if not task_id:
            raise ProviderUnavailableError(
                "Wan answered the create without a task id", provider=PROVIDER
            )
        return str(task_id)
    except ReelgateError as error:
        if error.retryable and not error.safe_to_resubmit:
            return await _reconcile(ctx, body, started, error)
        raise


async def _reconcile(
    ctx: ProviderContext, body: dict[str, Any], started: float, error: ReelgateError
) -> str:
    window = float(ctx.setting("lookup_seconds") or 10)
    found = await adopt_or_prove_absent(
        lambda: _matching_tasks(ctx, body, started),
        window,
        error,
        f"no matching task appeared in Wan's task list within {window:g} s, so none was made "
        "and it may be submitted again",
    )
    ctx.logger.info("adopted Wan task %s of a create whose answer was lost", found)
    return found


def _stamp(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y%m%d%H%M%S")


async def _matching_tasks(
    ctx: ProviderContext, body: dict[str, Any], started: float
) -> list[str] | None:
    """The ids of the tasks of ``body``'s model submitted since shortly before ``started``
    with its prompt and seed; None when the list cannot be read."""
    params: dict[str, Any] = {
        "model_name": body["model"],
        "start_time": _stamp(started - 60),
        "end_time": _stamp(time.time() + 60),
        "page_size": PAGE_SIZE,
    }
    found: list[str] = []
    for page in range(1, 50):
        try:
            answer = await send(ctx, "GET", "/tasks", "list", params={**params, "page_no": page})
        except ReelgateError:
            return None
        items = answer.get("data") or []
        found += [str(item["task_id"]) for item in items if _same(item, body)]
        if len(items) < PAGE_SIZE:
            return found
    return None


def _same(item: dict[str, Any], body: dict[str, Any]) -> bool:
    prompt = body["input"].get("prompt")
    seed = body["parameters"].get("seed")
    echoed = item.get("seed", (item.get("parameters") or {}).get("seed"))
    same_prompt = item.get("orig_prompt", item.get("prompt")) == prompt
    return same_prompt and (echoed is None or seed is None or int(echoed) == seed)
