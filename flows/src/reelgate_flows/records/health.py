"""Provider health, shared by every process of a fleet: rolling signals per model and circuit
breakers, in the job records' database (:mod:`reelgate_flows.records.schema`).

A submission's outcome is one row: ``accepted``, or a refusal (``rate_limited``,
``server_error``, ``refused``), an ``unclear`` submission, or ``moderated`` (the provider's
safety filter refused the prompt). A finished job adds ``queued`` (seconds before the provider
started it) and ``finished`` (seconds from acceptance to a finished video). Signals are read
over the last ``window_seconds``.

A model's circuit opens after ``refusals`` failed submissions (every outcome in
:data:`FAILURES`) within the window with no acceptance since; once ``cooldown_seconds`` have
passed it is half-open: one job at a time may claim a probe (:meth:`ProviderHealth.claim_probe`)
and try it. An acceptance closes it; a failure while half-open opens it again for another
cool-down.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.schema import CIRCUITS, HEALTH, ROUTE_PINS, aware

FAILURES = frozenset({"rate_limited", "server_error", "refused", "unclear"})
"""Outcomes of a submission that count against a model's circuit."""
PRUNE_EVERY = 64
"""Every this many events, those older than two windows are deleted (and pins of a week)."""
logger = logging.getLogger("reelgate.flows")


@dataclass(frozen=True)
class HealthPolicy:
    window_seconds: float = 300.0
    refusals: int = 5
    cooldown_seconds: float = 60.0


@dataclass(frozen=True)
class Circuit:
    """A model whose circuit is not closed."""

    model: str
    provider: str
    state: Literal["open", "half_open"]
    opened_at: datetime.datetime


@dataclass
class Signals:
    """What one model did within the window."""

    model: str
    provider: str
    counts: dict[str, int] = field(default_factory=dict)
    finished_seconds: list[float] = field(default_factory=list)
    queued_seconds: list[float] = field(default_factory=list)

    @property
    def failure_rate(self) -> float:
        """Failed submissions over all submissions (0 without any)."""
        failed = sum(self.counts.get(outcome, 0) for outcome in FAILURES)
        tried = failed + self.counts.get("accepted", 0)
        return failed / tried if tried else 0.0

    @property
    def moderation_rate(self) -> float:
        moderated = self.counts.get("moderated", 0)
        answered = moderated + self.counts.get("accepted", 0)
        return moderated / answered if answered else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "provider": self.provider,
            "counts": dict(sorted(self.counts.items())),
            "failure_rate": round(self.failure_rate, 4),
            "moderation_rate": round(self.moderation_rate, 4),
            "finished_p50_seconds": percentile(self.finished_seconds, 50),
            "finished_p95_seconds": percentile(self.finished_seconds, 95),
            "queued_p50_seconds": percentile(self.queued_seconds, 50),
        }


def percentile(values: list[float], rank: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None without any)."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(-(-rank * len(ordered) // 100)) - 1))
    return round(ordered[index], 3)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class ProviderHealth:
    """Signals and circuits in ``records``' database, under ``policy``."""

    def __init__(self, records: JobRecords, policy: HealthPolicy) -> None:
        self.records = records
        self.policy = policy

    async def record(
        self, provider: str, model: str, outcomes: dict[str, float | None]
    ) -> str | None:
        """Add ``outcomes`` (each with its seconds, or None) of one job at ``model``; returns
        ``"opened"`` or ``"closed"`` when they moved the model's circuit, else None."""

        async def write(engine: AsyncEngine) -> str | None:
            now = _now()
            closed = None
            async with engine.begin() as conn:
                rows = [
                    {"provider": provider, "model": model, "outcome": outcome, "seconds": seconds}
                    for outcome, seconds in outcomes.items()
                ]
                for row in rows:
                    added = await conn.execute(HEALTH.insert().values(**row, at=now))
                    if (added.inserted_primary_key or [1])[0] % PRUNE_EVERY == 0:
                        await self._prune(conn, now)
                if "accepted" in outcomes:
                    done = await conn.execute(sa.delete(CIRCUITS).where(CIRCUITS.c.model == model))
                    closed = "closed" if done.rowcount else None
            if FAILURES & outcomes.keys():
                return await self._maybe_open(engine, provider, model, now)
            return closed

        return await self.records.on_engine(write)

    async def _prune(self, conn: AsyncConnection, now: datetime.datetime) -> None:
        old = now - datetime.timedelta(seconds=2 * self.policy.window_seconds)
        await conn.execute(sa.delete(HEALTH).where(HEALTH.c.at < old))
        week = now - datetime.timedelta(days=7)
        await conn.execute(sa.delete(ROUTE_PINS).where(ROUTE_PINS.c.at < week))

    async def _maybe_open(
        self, engine: AsyncEngine, provider: str, model: str, now: datetime.datetime
    ) -> str | None:
        window_start = now - datetime.timedelta(seconds=self.policy.window_seconds)
        async with engine.begin() as conn:
            circuit = (
                await conn.execute(sa.select(CIRCUITS).where(CIRCUITS.c.model == model))
            ).first()
            if circuit is not None:
                if self._state(aware(circuit.opened_at), now) == "open":
                    return None
                await conn.execute(  # a failed probe: open for another cool-down
                    sa.update(CIRCUITS)
                    .where(CIRCUITS.c.model == model)
                    .values(opened_at=now, probe_at=None)
                )
                return "opened"
            last_ok = sa.select(sa.func.max(HEALTH.c.at)).where(
                HEALTH.c.model == model, HEALTH.c.outcome == "accepted"
            )
            since = aware((await conn.execute(last_ok)).scalar_one_or_none())
            since = max(window_start, since) if since else window_start
            failed = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(HEALTH)
                .where(
                    HEALTH.c.model == model,
                    HEALTH.c.outcome.in_(FAILURES),
                    HEALTH.c.at > since,
                )
            )
            if (failed or 0) < self.policy.refusals:
                return None
        try:
            async with engine.begin() as conn:
                row = {"model": model, "provider": provider, "opened_at": now}
                await conn.execute(CIRCUITS.insert().values(**row))
        except IntegrityError:  # another process opened it at the same moment
            return None
        return "opened"

    def _state(self, opened_at: datetime.datetime | None, now: datetime.datetime) -> str:
        assert opened_at is not None
        cooled = (now - opened_at).total_seconds() >= self.policy.cooldown_seconds
        return "half_open" if cooled else "open"

    async def circuits(self) -> dict[str, Circuit]:
        """Every model whose circuit is not closed, by model id."""

        async def read(engine: AsyncEngine) -> dict[str, Circuit]:
            now = _now()
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(CIRCUITS))).all()
            found = {}
            for row in rows:
                opened_at = aware(row.opened_at)
                assert opened_at is not None
                state: Any = self._state(opened_at, now)
                found[row.model] = Circuit(row.model, row.provider, state, opened_at)
            return found

        return await self.records.on_engine(read)

    async def claim_probe(self, model: str) -> bool:
        """Whether this caller may try ``model`` while its circuit is half-open: one claim per
        cool-down, across every process."""

        async def claim(engine: AsyncEngine) -> bool:
            now = _now()
            cooled = now - datetime.timedelta(seconds=self.policy.cooldown_seconds)
            async with engine.begin() as conn:
                done = await conn.execute(
                    sa.update(CIRCUITS)
                    .where(
                        CIRCUITS.c.model == model,
                        CIRCUITS.c.opened_at <= cooled,
                        sa.or_(CIRCUITS.c.probe_at.is_(None), CIRCUITS.c.probe_at <= cooled),
                    )
                    .values(probe_at=now)
                )
            return bool(done.rowcount == 1)

        return await self.records.on_engine(claim)

    async def signals(self) -> dict[str, Signals]:
        """Each model's signals within the window, by model id."""

        async def read(engine: AsyncEngine) -> dict[str, Signals]:
            since = _now() - datetime.timedelta(seconds=self.policy.window_seconds)
            query = sa.select(HEALTH.c.provider, HEALTH.c.model, HEALTH.c.outcome, HEALTH.c.seconds)
            async with engine.connect() as conn:
                rows = (await conn.execute(query.where(HEALTH.c.at > since))).all()
            found: dict[str, Signals] = {}
            counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for row in rows:
                signals = found.setdefault(row.model, Signals(row.model, row.provider))
                counts[row.model][row.outcome] += 1
                if row.outcome == "finished" and row.seconds is not None:
                    signals.finished_seconds.append(row.seconds)
                elif row.outcome == "queued" and row.seconds is not None:
                    signals.queued_seconds.append(row.seconds)
            for model, signals in found.items():
                signals.counts = dict(counts[model])
            return found

        return await self.records.on_engine(read)

    async def pin(self, scope: str, models: list[str]) -> list[str]:
        """The order the runs of the job with submission ``scope`` (its Idempotency-Key, or
        its run) try their models in: ``models`` if no run of the job chose one before, else
        the one chosen then."""
        digest = hashlib.sha256(scope.encode()).hexdigest()

        async def pin_once(engine: AsyncEngine) -> list[str]:
            try:
                async with engine.begin() as conn:
                    row = {"scope": digest, "models": models, "at": _now()}
                    await conn.execute(ROUTE_PINS.insert().values(**row))
                return models
            except IntegrityError:
                async with engine.connect() as conn:
                    query = sa.select(ROUTE_PINS.c.models).where(ROUTE_PINS.c.scope == digest)
                    return list(await conn.scalar(query) or models)

        return await self.records.on_engine(pin_once)

    async def pin_to(self, scope: str, model: str) -> None:
        """Leave the job with submission ``scope`` one model to try, ``model``: its submission
        there was unclear (the provider may have taken it), so no run of the job may move on."""
        digest = hashlib.sha256(scope.encode()).hexdigest()

        async def write(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                done = await conn.execute(
                    sa.update(ROUTE_PINS).where(ROUTE_PINS.c.scope == digest).values(models=[model])
                )
                if done.rowcount == 0:
                    row = {"scope": digest, "models": [model], "at": _now()}
                    await conn.execute(ROUTE_PINS.insert().values(**row))

        await self.records.on_engine(write)
