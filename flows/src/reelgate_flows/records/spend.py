"""Spending limits per customer and per API key, kept in a ledger beside the job records (one
table in the same database, so every API process sharing the records shares the budgets).

A job's estimated cost is *reserved* when it is admitted — atomically: one conditional insert
that counts what the window already holds (on PostgreSQL under a per-payer advisory lock), so
concurrent requests from any number of processes never overrun a limit. When the job ends the
reservation is *settled* to what was delivered, *released* when the job failed without a
provider job (nothing could have been billed), and kept as it is otherwise (the provider may
have billed). Windows are the UTC calendar day and month.

Limits come from ``REELGATE_BUDGETS`` (JSON) or ``REELGATE_BUDGETS_FILE``:
``{"customers": {"acme": {"daily_usd": 20, "monthly_usd": 300}, "*": {...}},
"api_keys": {"<key>": {"daily_usd": 5}}}`` (``"*"``: every customer without its own entry).
"""

from __future__ import annotations

import datetime
import json
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reelgate.errors import BudgetExceededError, ValidationError
from reelgate.pricing import Cost
from reelgate_flows.idempotency import of_key_id
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.schema import SPEND
from reelgate_flows.server_secret import server_secret
from reelgate_flows.settings import Settings

EPSILON = 1e-9


class Budget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    daily_usd: float | None = Field(default=None, ge=0)
    monthly_usd: float | None = Field(default=None, ge=0)

    def limits(self) -> list[tuple[str, float]]:
        return [
            (period, limit)
            for period, limit in (("daily", self.daily_usd), ("monthly", self.monthly_usd))
            if limit is not None
        ]


class Budgets(BaseModel):
    """Every configured limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customers: dict[str, Budget] = Field(default_factory=dict)
    api_keys: dict[str, Budget] = Field(default_factory=dict)

    _key_secret: bytes = PrivateAttr(default=b"")

    @classmethod
    def load(cls, text: str | None, path: str | None, key_secret: bytes = b"") -> Budgets:
        """The budgets of ``REELGATE_BUDGETS`` or ``REELGATE_BUDGETS_FILE``; none when unset.
        ``key_secret``: the server's secret, which API key ids are made with."""
        try:
            raw = Path(path).read_text() if path else text
            budgets = cls.model_validate(json.loads(raw)) if raw else cls()
        except (OSError, ValueError, PydanticValidationError) as exc:
            raise ValidationError(f"the budgets are not valid: {exc}") from exc
        budgets._key_secret = key_secret
        return budgets

    @property
    def any(self) -> bool:
        return bool(self.customers or self.api_keys)

    def of_customer(self, customer_id: str) -> Budget | None:
        return self.customers.get(customer_id) or self.customers.get("*")

    def of_key(self, key_id: str | None) -> Budget | None:
        """The budget of an API key by the id its caller has (see :func:`key_id_of`)."""
        return of_key_id(self.api_keys, key_id, self._key_secret)


def budgets_of(settings: Settings) -> Budgets:
    """The budgets ``settings`` configure, API key ids made with the server's secret."""
    return Budgets.load(settings.budgets, settings.budgets_file, server_secret(settings))


@dataclass(frozen=True)
class _Payer:
    """One limit to check: who pays (a customer or a key), in which window, up to what."""

    scope: str
    column: sa.Column[Any]
    value: str
    period: str
    limit: float


def _window_start(period: str, now: datetime.datetime) -> datetime.datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if period == "daily" else day.replace(day=1)


class SpendLedger:
    """Reserves, settles and releases job costs against :class:`Budgets`."""

    def __init__(self, records: JobRecords, budgets: Budgets) -> None:
        self.records = records
        self.budgets = budgets

    def _payers(self, customer_id: str, key_id: str | None) -> list[_Payer]:
        payers = []
        for scope, budget, column, value in (
            ("customer", self.budgets.of_customer(customer_id), SPEND.c.customer_id, customer_id),
            ("API key", self.budgets.of_key(key_id), SPEND.c.key_id, key_id),
        ):
            if budget is None or value is None:
                continue
            for period, limit in budget.limits():
                payers.append(_Payer(scope, column, value, period, limit))
        return payers

    async def reserve(
        self,
        customer_id: str,
        key_id: str | None,
        estimate: Cost,
        reservation: str | None = None,
    ) -> str | None:
        """Reserve ``estimate`` for a job about to run, under ``reservation`` (its job id; a new
        id when None); returns the reservation's id, None when no limit applies. A job whose
        reservation is held already (reserved, or settled) keeps it and reserves nothing more.
        BudgetExceededError when it does not fit what is left of a limit, or when a limit
        applies and the price is unknown."""
        payers = self._payers(customer_id, key_id)
        if not payers:
            return None
        reservation = reservation or str(uuid.uuid4())
        if estimate.amount is None:
            if await self.holds(reservation):
                return reservation
            raise BudgetExceededError(
                f"{estimate.basis}; a {payers[0].scope} with a spending limit can only use "
                "models with a known price",
                limit=f"{payers[0].period} {payers[0].scope}",
                estimate_usd=None,
            )
        row = {
            "job_id": reservation,
            "customer_id": customer_id,
            "key_id": key_id,
            "amount": estimate.amount,
            "settled": False,
        }
        refused = await self.records.on_engine(lambda engine: _insert_if_fits(engine, payers, row))
        if refused is None:
            return reservation
        raise _exceeded(refused, estimate.amount)

    async def holds(self, job_id: str) -> bool:
        """Whether ``job_id`` holds a reservation (or a settled cost)."""

        async def read(engine: AsyncEngine) -> bool:
            async with engine.connect() as conn:
                found = await conn.scalar(sa.select(SPEND.c.job_id).where(SPEND.c.job_id == job_id))
            return found is not None

        return bool(await self.records.on_engine(read))

    async def release(self, reservation_or_job: str) -> None:
        """Drop a reservation (the job was never admitted, or nothing could be billed)."""
        await self._update(sa.delete(SPEND).where(SPEND.c.job_id == reservation_or_job))

    async def settle(self, job_id: str, cost: Cost) -> None:
        """Replace a job's reservation by its actual cost (an unknown one keeps the estimate)."""
        values: dict[str, Any] = {"settled": True}
        if cost.amount is not None:
            values["amount"] = cost.amount
        await self._update(sa.update(SPEND).where(SPEND.c.job_id == job_id).values(**values))

    async def spent(self, customer_id: str, period: str) -> float:
        """What ``customer_id`` has reserved or spent in the current ``period`` window."""
        payer = _Payer("customer", SPEND.c.customer_id, customer_id, period, 0.0)

        async def read(engine: AsyncEngine) -> float:
            async with engine.connect() as conn:
                now = datetime.datetime.now(datetime.UTC)
                return float((await conn.execute(sa.select(_spent(payer, now)))).scalar_one())

        return await self.records.on_engine(read)

    async def adjust(self, job_id: str, amount: float) -> None:
        """Set what a job's reservation holds (a plan settling shot by shot), still open."""
        await self._update(sa.update(SPEND).where(SPEND.c.job_id == job_id).values(amount=amount))

    async def _update(self, statement: sa.Executable) -> None:
        async def run(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                await conn.execute(statement)

        await self.records.on_engine(run)


async def _insert_if_fits(
    engine: AsyncEngine, payers: list[_Payer], row: dict[str, Any]
) -> list[tuple[_Payer, float]] | None:
    """Insert the reservation ``row`` when it fits every payer's limit (or is held already):
    None; else what each payer has spent."""
    now = datetime.datetime.now(datetime.UTC)
    row = {**row, "at": now}
    amount = float(row["amount"])
    try:
        async with engine.begin() as conn:
            await _lock(conn, payers)
            held = sa.select(SPEND.c.job_id).where(SPEND.c.job_id == row["job_id"])
            if await conn.scalar(held) is not None:
                return None
            fits = [_spent(p, now) + amount <= p.limit + EPSILON for p in payers]
            values = sa.select(*(sa.literal(v, SPEND.c[k].type) for k, v in row.items()))
            done = await conn.execute(SPEND.insert().from_select(list(row), values.where(*fits)))
            if done.rowcount == 1:
                return None
            return [
                (p, (await conn.execute(sa.select(_spent(p, now)))).scalar_one()) for p in payers
            ]
    except IntegrityError:  # the same job reserved at the same moment elsewhere: it is held
        return None


def _exceeded(refused: list[tuple[_Payer, float]], amount: float) -> BudgetExceededError:
    payer, spent = max(refused, key=lambda item: item[1] + amount - item[0].limit)
    remaining = max(0.0, round(payer.limit - spent, 6))
    whose = f"customer {payer.value}" if payer.scope == "customer" else "this API key"
    return BudgetExceededError(
        f"this request would cost ${amount:g} but ${remaining:g} is left of the "
        f"{payer.period} limit of ${payer.limit:g} for {whose}",
        limit=f"{payer.period} {payer.scope}",
        limit_usd=payer.limit,
        remaining_usd=remaining,
        estimate_usd=amount,
    )


def _spent(payer: _Payer, now: datetime.datetime) -> sa.ScalarSelect[Any]:
    since = _window_start(payer.period, now)
    return (
        sa.select(sa.func.coalesce(sa.func.sum(SPEND.c.amount), 0.0))
        .where(payer.column == payer.value, SPEND.c.at >= since)
        .scalar_subquery()
    )


async def _lock(conn: AsyncConnection, payers: list[_Payer]) -> None:
    """On PostgreSQL, serialise reservations of the same payers (READ COMMITTED would let two
    inserts both see the old sum); SQLite runs one writer at a time already."""
    if conn.dialect.name != "postgresql":
        return
    for value in sorted({p.value for p in payers}):
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(zlib.crc32(value.encode()))))
