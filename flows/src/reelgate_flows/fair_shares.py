"""Fair shares of the providers: how many jobs each customer (and API key) may have in flight
at providers, and whose job takes a provider's next free slot.

``REELGATE_IN_FLIGHT`` (JSON, shaped like the budgets): ``{"customers": {"acme": 2, "*": 10},
"api_keys": {"<key>": 3}, "when_full": "queue" | "reject"}``. A job is in flight from the
moment it takes a slot before submitting until its provider finished it. Past its share a job
waits, in its customer's order (``queue``, the default), or is refused at admission with a 429
and ``Retry-After`` (``reject``: the share then counts the customer's jobs from admission).

When a provider limit is set (``reelgate limit``), its slots go round-robin across customers:
the waiting customer holding the fewest slots at that provider goes next (its oldest job
first), so one customer's 500-job backfill never starves another customer's single job. The
order is decided from the records every process shares, so it holds across workers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError
from reelgate_flows.idempotency import of_key_id
from reelgate_flows.records.in_flight import Counted


class InFlightLimits(BaseModel):
    """Every configured share."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customers: dict[str, int] = Field(default_factory=dict)
    api_keys: dict[str, int] = Field(default_factory=dict)
    when_full: Literal["queue", "reject"] = "queue"

    _key_secret: bytes = PrivateAttr(default=b"")

    @classmethod
    def load(cls, text: str | None, key_secret: bytes = b"") -> InFlightLimits:
        """The shares of ``REELGATE_IN_FLIGHT`` (JSON, or ``@path`` to a file holding it)."""
        try:
            raw = Path(text[1:]).read_text() if text and text.startswith("@") else text
            limits = cls.model_validate(json.loads(raw)) if raw else cls()
        except (OSError, ValueError, PydanticValidationError) as exc:
            raise ValidationError(f"REELGATE_IN_FLIGHT is not valid: {exc}") from exc
        if any(n < 0 for n in [*limits.customers.values(), *limits.api_keys.values()]):
            raise ValidationError("REELGATE_IN_FLIGHT: a share is a number of jobs, 0 or more")
        limits._key_secret = key_secret
        return limits

    @property
    def any(self) -> bool:
        return bool(self.customers or self.api_keys)

    def of_customer(self, customer_id: str) -> int | None:
        return self.customers.get(customer_id, self.customers.get("*"))

    def of_key(self, key_id: str | None) -> int | None:
        """The share of an API key by the id its caller has (see :func:`key_id_of`)."""
        return of_key_id(self.api_keys, key_id, self._key_secret)

    def room_for(self, customer_id: str, key_id: str | None, counted: list[Counted]) -> bool:
        """Whether one more job of ``customer_id`` (under ``key_id``) fits beside ``counted``."""
        for limit, mine in (
            (self.of_customer(customer_id), [c for c in counted if c.customer_id == customer_id]),
            (self.of_key(key_id), [c for c in counted if key_id and c.key_id == key_id]),
        ):
            if limit is not None and len(mine) >= limit:
                return False
        return True


def granted(
    counted: list[Counted], provider: str, provider_limit: int | None, limits: InFlightLimits
) -> set[str]:
    """The waiting jobs at ``provider`` that may take a slot now: round-robin across the
    customers waiting there (the one holding the fewest slots at ``provider`` first, then the
    one waiting longest), each customer's jobs in order, within every share."""
    holding = [c for c in counted if c.state == "holding"]
    waiting = sorted(
        (c for c in counted if c.state == "waiting" and c.provider == provider),
        key=lambda c: (c.since, c.job_id),
    )
    if provider_limit is None:
        free = len(waiting)
    else:
        free = provider_limit - sum(1 for c in holding if c.provider == provider)
    queues: dict[str, list[Counted]] = {}
    for job in waiting:
        queues.setdefault(job.customer_id, []).append(job)
    chosen: set[str] = set()

    def turn(customer: str) -> tuple[int, object]:
        held = sum(1 for c in holding if c.provider == provider and c.customer_id == customer)
        return (held, queues[customer][0].since)

    while free > 0 and queues:
        customer = min(queues, key=turn)
        job = queues[customer].pop(0)
        if not queues[customer]:
            del queues[customer]
        if not limits.room_for(job.customer_id, job.key_id, holding):
            queues.pop(customer, None)  # this customer's share is full: its others wait too
            continue
        chosen.add(job.job_id)
        holding.append(dataclasses.replace(job, state="holding"))
        free -= 1
    return chosen
