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
from reelgate_flows.settings import run_settings

LIMIT_CHECK_SECONDS = 10.0
_EXISTING: dict[tuple[str, str], tuple[float, bool]] = {}


async def _limit_exists(name: str) -> bool:
    """Whether the Prefect API has the global concurrency limit ``name`` (remembered for
    ``LIMIT_CHECK_SECONDS`` per API)."""
    where = (str(get_current_settings().api.url), name)
    checked = _EXISTING.get(where)
    if checked is None or time.monotonic() - checked[0] > LIMIT_CHECK_SECONDS:
        async with get_client() as client:
            try:
                await client.read_global_concurrency_limit_by_name(name)
                exists = True
            except ObjectNotFound:
                exists = False
        checked = _EXISTING[where] = (time.monotonic(), exists)
    return checked[1]


def limit_name(provider: str) -> str:
    return f"reelgate_{provider}"


@asynccontextmanager
async def provider_slot(provider: str) -> AsyncIterator[None]:
    """Hold a slot of the provider's limit (when provider limits are on). The run's busy slot
    is given back while it waits for one: waiting is not work, and a run holding a busy slot
    while it waits for a provider slot would block the runs holding provider slots from taking
    a busy slot back after their wait (a deadlock seen with one worker, 3 busy slots, a limit
    of 2)."""
    if not run_settings().provider_limits or not await _limit_exists(limit_name(provider)):
        yield
        return
    async with contextlib.AsyncExitStack() as held:
        async with released_while_waiting():
            await held.enter_async_context(concurrency(limit_name(provider), occupy=1))
        yield


async def set_provider_limit(client: PrefectClient, provider: str, slots: int) -> None:
    """Create or change the limit of jobs in flight at ``provider``."""
    await client.upsert_global_concurrency_limit_by_name(limit_name(provider), slots)
    _EXISTING.clear()
