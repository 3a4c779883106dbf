"""Provider quotas as Prefect global concurrency limits, shared by every worker.

While a provider job is in flight (from submission until the provider finished it) its flow
holds one slot of the limit ``reelgate_<provider>``, when ``REELGATE_PROVIDER_LIMITS`` is on.
A limit that does not exist holds nothing back (and costs no request: whether it exists is
read again at most every ``LIMIT_CHECK_SECONDS``); ``reelgate limit <provider> <n>`` creates or
changes one, which binds runs that start within that time. Slots are leased: a crashed
holder's slot returns after the lease (5 minutes).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prefect.client.orchestration import PrefectClient, get_client
from prefect.concurrency.asyncio import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.settings import get_current_settings

from reelgate_flows.busy import released_while_waiting
from reelgate_flows.fair_gate import fair_gate
from reelgate_flows.settings import run_settings

FairJob = tuple[str, str, str | None]
"""A job as its fair share knows it: its id, customer and API key id."""
LIMIT_CHECK_SECONDS = 10.0
_EXISTING: dict[tuple[str, str], tuple[float, int | None]] = {}


async def _limit_slots(name: str) -> int | None:
    """The slots of the Prefect API's global concurrency limit ``name``, None when it has no
    such limit (remembered for ``LIMIT_CHECK_SECONDS`` per API)."""
    where = (str(get_current_settings().api.url), name)
    checked = _EXISTING.get(where)
    if checked is None or time.monotonic() - checked[0] > LIMIT_CHECK_SECONDS:
        async with get_client() as client:
            try:
                limit = await client.read_global_concurrency_limit_by_name(name)
                slots: int | None = limit.limit
            except ObjectNotFound:
                slots = None
        checked = _EXISTING[where] = (time.monotonic(), slots)
    return checked[1]


def limit_name(provider: str) -> str:
    return f"reelgate_{provider}"


@asynccontextmanager
async def provider_slot(provider: str, job: FairJob | None = None) -> AsyncIterator[None]:
    """Hold a slot of the provider's limit (when provider limits are on) and the ``job``'s
    fair share (when shares are set or the provider has a limit: whose job goes next,
    :mod:`reelgate_flows.fair_shares`). The run's busy slot is given back while it waits:
    waiting is not work, and a run holding a busy slot while it waits for a provider slot
    would block the runs holding provider slots from taking a busy slot back after their wait
    (a deadlock seen with one worker, 3 busy slots, a limit of 2)."""
    settings = run_settings()
    slots = await _limit_slots(limit_name(provider)) if settings.provider_limits else None
    fair = job is not None and (slots is not None or bool(settings.in_flight))
    if slots is None and not fair:
        yield
        return
    async with contextlib.AsyncExitStack() as held:
        async with released_while_waiting():
            if fair:
                assert job is not None
                share = fair_gate(settings).slot(*job, provider, slots)
                await held.enter_async_context(share)
            if slots is not None:
                await held.enter_async_context(concurrency(limit_name(provider), occupy=1))
        yield


async def set_provider_limit(client: PrefectClient, provider: str, slots: int) -> None:
    """Create or change the limit of jobs in flight at ``provider``."""
    await client.upsert_global_concurrency_limit_by_name(limit_name(provider), slots)
    _EXISTING.clear()
