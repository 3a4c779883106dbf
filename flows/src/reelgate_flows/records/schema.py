"""The tables of the job records' database, made on an engine's first use (and the columns
added since a database was made), and the engine of a URL: SQLite (WAL) on one machine,
PostgreSQL when several processes share the records."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

METADATA = sa.MetaData()
JOBS = sa.Table(
    "reelgate_jobs",
    METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("key_digest", sa.String(64), unique=True),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("body_digest", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("customer_id", sa.String(255)),
    sa.Column("provider", sa.String(255), nullable=False),
    sa.Column("admitted_by", sa.String(255), nullable=False),
    sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("flow_run_id", sa.String(36)),
    sa.Column("withdrawn", sa.Boolean, nullable=False, default=False),
    sa.Column("model", sa.String(255)),
    sa.Column("key_id", sa.String(64)),
    sa.Column("prices", sa.JSON),
    sa.Column("progress", sa.JSON),
    sa.Column("trace", sa.String(64)),
    sa.Index("ix_reelgate_jobs_unstarted", "admitted_by", "flow_run_id"),
    sa.Index("ix_reelgate_jobs_customer", "customer_id", "admitted_at"),
)
WEBHOOKS = sa.Table(
    "reelgate_webhooks",
    METADATA,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("job_id", sa.String(36), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("base_url", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_by", sa.String(255)),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Index("ix_reelgate_webhooks_due", "state", "next_at"),
)
"""The webhook outbox (:mod:`reelgate_flows.records.outbox`): one delivery per job that named a
``webhook_url``, written in the transaction that admits the job."""
DELETED = sa.Table(
    "reelgate_deleted_jobs",
    METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
)
"""Jobs their customer deleted (``DELETE /v1/videos/{id}``): kept apart so that the records of
an installation made before deletion existed need no migration."""


SPEND = sa.Table(
    "reelgate_spend",
    METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(255), nullable=False),
    sa.Column("key_id", sa.String(64)),
    sa.Column("amount", sa.Float, nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False, default=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_reelgate_spend_customer", "customer_id", "at"),
    sa.Index("ix_reelgate_spend_key", "key_id", "at"),
)
"""The spend ledger (:mod:`reelgate_flows.records.spend`): one reservation or cost per job."""

HEALTH = sa.Table(
    "reelgate_health",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(255), nullable=False),
    sa.Column("model", sa.String(255), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("seconds", sa.Float),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_reelgate_health_model", "model", "at"),
)
"""What providers did lately, per model (:mod:`reelgate_flows.records.health`): one row per
submission's outcome, time queued and time to a finished video."""
CIRCUITS = sa.Table(
    "reelgate_circuits",
    METADATA,
    sa.Column("model", sa.String(255), primary_key=True),
    sa.Column("provider", sa.String(255), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("probe_at", sa.DateTime(timezone=True)),
)
"""The models whose circuit is open (or half-open after its cool-down); a closed circuit has
no row."""
ROUTE_PINS = sa.Table(
    "reelgate_route_pins",
    METADATA,
    sa.Column("scope", sa.String(64), primary_key=True),
    sa.Column("models", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
"""The order a job's first run tried its models in, by the digest of the job's submission
scope (its Idempotency-Key, or its run): every later run of the job keeps it, so a job never
moves to another model after an unclear submission."""

IN_FLIGHT = sa.Table(
    "reelgate_in_flight",
    METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("customer_id", sa.String(255), nullable=False),
    sa.Column("key_id", sa.String(64)),
    sa.Column("provider", sa.String(255)),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_reelgate_in_flight_provider", "provider", "state", "since"),
    sa.Index("ix_reelgate_in_flight_customer", "customer_id", "state"),
)
"""Jobs counted against fair shares (:mod:`reelgate_flows.records.in_flight`): ``admitted``
(a share that refuses when full counts a job from admission), ``waiting`` for a slot, or
``holding`` one while the provider makes the video. A row whose lease ran out (its process
died) no longer counts."""

WITH_DELETED = sa.select(JOBS, DELETED.c.deleted_at).select_from(
    JOBS.outerjoin(DELETED, DELETED.c.job_id == JOBS.c.job_id)
)


def create_schema(conn: sa.Connection) -> None:
    """Every table, and the columns added to the jobs table since a database was made."""
    METADATA.create_all(conn)
    _add_missing_columns(conn)


def _add_missing_columns(conn: sa.Connection) -> None:
    """Columns added to the jobs table since a database was made (nullable, so adding them
    is all a migration needs)."""
    present = {column["name"] for column in sa.inspect(conn).get_columns(JOBS.name)}
    for column in JOBS.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f"ALTER TABLE {JOBS.name} ADD COLUMN {column.name} {kind}"))


def aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    """SQLite hands back naive datetimes of what was written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=datetime.UTC)


def engine_for(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL: readers never wait for the writer, a commit survives a killed process.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
