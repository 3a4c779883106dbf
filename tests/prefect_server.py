"""A real ``prefect server start`` on loopback for the tests of the production shape.

Each server gets a fresh PostgreSQL database on the machine's server (127.0.0.1:5432, trust
auth; asyncpg driver), dropped when the server stops. The server runs with Prefect's own service
settings (scheduler, foreman, cancellation cleanup on), with a scheduler loop of one second so
schedule tests need not wait a minute.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from tests.support import free_port

PG_DSN = os.environ.get("REELGATE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
_SERVICE_SETTINGS = {
    # docs/operations.md's recommended server settings: batched task-run and event writes.
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_READ_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS": "2",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_DSN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_reachable() -> bool:
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError):
        return False
    return True


REDIS_HOST = os.environ.get("REELGATE_TEST_REDIS_HOST", "127.0.0.1")


def _worker_redis_db() -> int:
    """A Redis database of this test process's own (7, 8, ... by pytest-xdist worker), as a
    server flushes its database when it starts and stops."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 7 + int(worker.removeprefix("gw") or 0)


def _redis_settings(db: int) -> dict[str, str]:
    """Prefect's settings for a multi-process server: messaging, ordering and leases in Redis
    (``prefect-redis``)."""
    return {
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_REDIS_MESSAGING_HOST": REDIS_HOST,
        "PREFECT_REDIS_MESSAGING_PORT": "6379",
        "PREFECT_REDIS_MESSAGING_DB": str(db),
    }


class PrefectServer:
    """``prefect server start`` in its own process, on a database of its own.

    With ``api_processes`` > 1 the server runs Prefect's multi-process shape: that many API
    processes (``--workers``) and one ``prefect server services start`` process, sharing
    messages through Redis (database ``redis_db``, by default this test worker's own, flushed at
    start and stop)."""

    def __init__(
        self,
        home: Path,
        fast_scheduler: bool = True,
        api_processes: int = 1,
        redis_db: int | None = None,
    ) -> None:
        self.home = home
        self.fast_scheduler = fast_scheduler
        self.api_processes = api_processes
        self.redis_db = _worker_redis_db() if redis_db is None else redis_db
        self.port = free_port()
        self.database = f"reelgate_{uuid.uuid4().hex[:12]}"
        self.process: subprocess.Popen[bytes] | None = None
        self.services: subprocess.Popen[bytes] | None = None
        self.log = home / "server.log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def database_url(self) -> str:
        base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{self.database}"

    def environ(self) -> dict[str, str]:
        """The environment of a client (API, worker, CLI) of this server."""
        return {"PREFECT_API_URL": self.api_url}

    def start(self, timeout: float = 120.0) -> None:
        asyncio.run(_admin(f'CREATE DATABASE "{self.database}"'))
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("PREFECT_SERVER_SERVICES_") and name != "PREFECT_API_URL"
        }
        env.update(_SERVICE_SETTINGS)
        if not self.fast_scheduler:
            del env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"]
        env["PREFECT_HOME"] = str(self.home)
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        command = [sys.executable, "-m", "prefect", "server"]
        address = ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.api_processes > 1:
            env.update(_redis_settings(self.redis_db))
            self._flush_redis()
            # Migrate once, before the processes start: each would race to create the schema.
            subprocess.run(
                [*command, "database", "upgrade", "-y"],
                env=env,
                check=True,
                capture_output=True,
                timeout=timeout,
            )
            env["PREFECT_API_DATABASE_MIGRATE_ON_START"] = "false"
            address += ["--workers", str(self.api_processes)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "start", *address], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            if self.api_processes > 1:
                self.services = subprocess.Popen(
                    [*command, "services", "start"], env=env, stdout=log, stderr=subprocess.STDOUT
                )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"prefect server did not answer in {timeout:g} s")

    @property
    def pids(self) -> list[int]:
        """The server's processes (API, and services when separate)."""
        return [p.pid for p in (self.process, self.services) if p is not None]

    def _flush_redis(self) -> None:
        import redis

        redis.Redis(host=REDIS_HOST, port=6379, db=self.redis_db).flushdb()

    def stop(self) -> None:
        for process in (self.services, self.process):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.process = self.services = None
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        if self.api_processes > 1:
            self._flush_redis()
