"""Delivers the webhook outbox (:mod:`reelgate_flows.records.outbox`) from any API process: claims
due deliveries, sends those whose job has ended (same event id on every attempt), backs off on a
failure, and gives up after ``attempts``. Woken when a job of this process ends; otherwise it
looks every ``poll_seconds`` (jobs admitted or run elsewhere end too)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from reelgate_api.http.webhooks import WebhookSender
from reelgate_api.jobs.views import JobView
from reelgate_flows import tracing
from reelgate_flows.records.outbox import Delivery, Outbox

logger = logging.getLogger("reelgate.webhooks")
RECHECK_SECONDS = 2.0
"""How soon a delivery whose job has not ended is looked at again."""


class WebhookDeliverer:
    def __init__(
        self,
        outbox: Outbox,
        sender: WebhookSender,
        view: Callable[[str], Awaitable[JobView | None]],
        payload_of: Callable[[JobView, str], dict[str, Any]],
        poll_seconds: float = 1.0,
        hold_seconds: float = 60.0,
        trace_of: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        """``trace_of``: a job's ``traceparent`` (its delivery's span continues the job's
        trace, :mod:`reelgate_flows.tracing`)."""
        self.trace_of = trace_of
        self.outbox = outbox
        self.sender = sender
        self.view = view
        self.payload_of = payload_of
        self.poll_seconds = poll_seconds
        self.hold_seconds = hold_seconds
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Look now (from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Deliver until cancelled."""
        self._loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                await self.round()
            except Exception:  # the records may be restarting: try again next round
                logger.exception("delivering webhooks failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def round(self) -> int:
        """One pass over the due deliveries; returns how many were sent successfully."""
        sent = 0
        for delivery in await self.outbox.claim_due(20, self.hold_seconds):
            sent += await self._deliver(delivery)
        return sent

    async def _deliver(self, delivery: Delivery) -> int:
        view = await self.view(delivery.job_id)
        if view is None:
            await self.outbox.failed(delivery)
            return 0
        if not view.ended:
            await self.outbox.later(delivery, RECHECK_SECONDS, attempted=False)
            return 0
        payload = {
            **self.payload_of(view, delivery.base_url),
            "job_id": view.job_id,
            "status": view.status,
        }
        parent = None
        if self.trace_of is not None and tracing.enabled():
            parent = await self.trace_of(view.job_id)
        attributes = {"reelgate.job_id": view.job_id, "reelgate.attempt": delivery.attempts + 1}
        with tracing.span("reelgate.webhook", parent=parent, **attributes) as span:
            sent = await self.sender.send_once(delivery.url, payload, delivery.event_id)
            span.set_attribute("reelgate.delivered", sent)
        if sent:
            await self.outbox.delivered(delivery)
            return 1
        if delivery.attempts + 1 >= self.sender.attempts:
            logger.error(
                "webhook %s failed %d times: given up", delivery.event_id, delivery.attempts + 1
            )
            await self.outbox.failed(delivery)
        else:
            pause = self.sender.retry_base_seconds * 2**delivery.attempts
            await self.outbox.later(delivery, pause, attempted=True)
        return 0
