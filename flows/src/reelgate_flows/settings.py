"""reelgate's settings (prefix ``REELGATE_``), read by pydantic-settings: one class for the
runtime, the flows, storage, the CLI and workers; the HTTP API's own extend it
(``reelgate_api.settings.ApiSettings``). Provider credentials are not here: each provider
declares its own variables (``SettingSpec``) and the registry reads them."""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from pydantic import Field, TypeAdapter, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reelgate.home import reelgate_home
from reelgate.requests import DEFAULT_MODEL
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime


class Settings(BaseSettings):
    """Every field is ``REELGATE_<FIELD>`` in the environment. Read once per process through
    :meth:`current` and passed down."""

    model_config = SettingsConfigDict(env_prefix="REELGATE_", extra="ignore")

    plugins: str | None = Field(
        default=None,
        description="comma list of the plugins to load (unset: every installed one; empty: none)",
    )
    default_model: str = Field(
        default=DEFAULT_MODEL, description="the model of requests that name none"
    )
    routes: str | None = Field(
        default=None,
        description="route names and the models each tries in order, as JSON: "
        '{"fast-video": ["kling-v2-6", "veo-3.1-fast"]}',
    )
    prices_file: str | None = Field(
        default=None, description="a JSON or TOML file of the operator's prices per model"
    )
    customer_id: str = Field(
        default="local", description="the CLI's customer when --customer-id is not given"
    )
    prefect_lean: bool = Field(
        default=True,
        description="apply reelgate's lean Prefect defaults where the environment sets none",
    )

    home: Path = Field(
        default_factory=lambda: reelgate_home(os.environ),
        description="the folder of reelgate's own data (stored videos, spool, secret, the "
        "local provider's renders) whatever the working directory (default: "
        "$XDG_DATA_HOME/reelgate, else ~/.local/share/reelgate)",
    )
    storage_url: str = Field(
        default_factory=lambda data: f"file://{data['home'] / 'videos'}",
        description="file://PATH (absolute, or relative to the working directory) or "
        "s3://bucket/prefix (default: file://<home>/videos)",
    )
    spool_dir: Path = Field(
        default_factory=lambda data: data["home"] / "spool",
        description="where downloaded videos wait until they are stored; never dropped "
        "(default: <home>/spool)",
    )
    file_url_secret: str | None = Field(
        default=None,
        description="the server's secret: signs /files URLs and keys API key ids (default: "
        "one made for this machine; set the same on every machine of a fleet)",
    )
    s3_presign: bool = Field(default=False, description="answer presigned URLs for S3 objects")
    s3_presign_seconds: int = Field(default=7 * 24 * 3600, ge=1, le=7 * 24 * 3600)
    s3_public_base_url: str | None = Field(
        default=None, description="public URL prefix for S3 keys (e.g. a CDN) instead of s3://"
    )
    s3_part_size_bytes: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024)
    s3_max_concurrency: int = Field(default=4, ge=1, le=32)
    data_uri_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    wait_timeout_seconds: float = Field(default=1800.0, gt=0)
    poll_min_seconds: float = Field(default=0.2, ge=0.05)
    poll_max_seconds: float = Field(default=15.0, ge=0.1)
    submit_retries: int = Field(default=3, ge=0)
    step_retries: int = Field(default=3, ge=0)
    retry_base_seconds: float = Field(default=1.0, ge=0)
    image_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    reference_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1, description="the most bytes of a video or audio reference"
    )
    image_max_pixels: int = Field(
        default=40_000_000,
        ge=1,
        description="the most pixels an input image may have (read from its header; "
        "default 40 MP, above 8K)",
    )
    video_max_bytes: int = Field(default=500 * 1024 * 1024, ge=1)
    media_checks: int | None = Field(
        default=None,
        ge=1,
        description="how many media checks of this process may decode at once (default: "
        "its cores); the others wait",
    )
    previews: bool = Field(
        default=True,
        description="make a poster, a thumbnail and a sprite sheet of every video in its media "
        "check (one decode pass of the whole video instead of two frames) and store them beside it",
    )
    sprite_tiles: int = Field(default=10, ge=1, le=100, description="tiles of a sprite sheet")
    sprite_columns: int = Field(default=5, ge=1, le=100, description="tiles per sprite row")
    sprite_tile_width: int = Field(default=160, ge=16, le=640, description="px of a tile's width")
    c2pa_cert: str | None = Field(
        default=None,
        description="sign every stored video's content credentials (C2PA) with this "
        "certificate chain: PEM text or a PEM file's path (the signer's certificate first)",
    )
    c2pa_key: str | None = Field(
        default=None, description="the private key of that certificate: PEM text or a file's path"
    )
    c2pa_algorithm: str = Field(default="es256", description="es256, es384, ps256, ed25519, ...")
    c2pa_timestamp_url: str | None = Field(
        default=None, description="an RFC 3161 timestamp authority for the signatures"
    )
    c2pa_include_prompt: bool = Field(
        default=False, description="record the prompt itself in the manifest, not only its hash"
    )
    fetch_timeout_seconds: float = Field(default=30.0, gt=0)
    private_url_hosts: str = Field(
        default="",
        description="comma list of host names that may resolve to private "
        "addresses (e.g. an internal image server); addresses are still checked for all others",
    )
    allow_private_urls: bool = Field(
        default=False,
        description="let input URLs point at loopback/private addresses (tests only)",
    )

    work_pool: str = Field(
        default="reelgate", description="the Prefect work pool of reelgate's deployments"
    )
    deployment_name: str = Field(
        default="reelgate",
        description="the name of reelgate's deployments (generate-video/<name>, ...)",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL of the API's job records (admissions and "
        "Idempotency-Keys), e.g. postgresql+asyncpg://host/db when several API processes "
        "share them; unset: sqlite+aiosqlite:///<PREFECT_HOME>/reelgate.db",
    )
    budgets: str | None = Field(
        default=None,
        description='spending limits (JSON): {"customers": {"acme": {"daily_usd": 20, '
        '"monthly_usd": 300}, "*": {...}}, "api_keys": {"<key>": {"daily_usd": 5}}}',
    )
    budgets_file: str | None = Field(default=None, description="a file holding that JSON")
    moderators: str | None = Field(
        default=None,
        description='which moderator plugins judge whose requests (JSON): {"acme": ["rules", '
        '"openai"], "*": ["rules"]}; a customer not named takes "*"; unset: every installed '
        "moderator judges every request",
    )
    provider_limits: bool = Field(
        default=False,
        description="hold a slot of the Prefect global concurrency limit reelgate_<provider> "
        "while a provider job is in flight (on by default in `reelgate worker`)",
    )

    in_flight: str | None = Field(
        default=None,
        description='fair shares of jobs in flight at providers (JSON): {"customers": {"acme": 2, '
        '"*": 10}, "api_keys": {"<key>": 3}, "when_full": "queue" | "reject"}',
    )
    health_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="the window of each model's health signals (refusals, time to a video)",
    )
    circuit_refusals: int = Field(
        default=5,
        ge=1,
        description="failed submissions to a model within the window, with none accepted since, "
        "that open its circuit",
    )
    circuit_cooldown_seconds: float = Field(
        default=60.0,
        ge=0,
        description="how long an open circuit stays open before one job may try the model again",
    )

    @classmethod
    def current(cls) -> Self:
        """The process's settings. Built once; built again only when a ``REELGATE_`` variable
        changed since (an embedding application or a test changed the environment)."""
        snapshot = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("REELGATE_")))
        cached = _CACHE.get(cls)
        if cached is None or cached[0] != snapshot:
            cached = (snapshot, cls())
            _CACHE[cls] = cached
        return cached[1]  # type: ignore[return-value]

    def runtime(self) -> Runtime:
        """A provider runtime built from these settings and the environment's provider
        variables."""
        return build_runtime(
            plugins=self.plugins,
            default_model=self.default_model,
            routes=self.routes,
            prices_file=self.prices_file,
        )

    def job_records_url(self) -> str:
        """:attr:`database_url`, or the SQLite file beside the embedded Prefect database."""
        if self.database_url:
            return self.database_url
        from prefect.settings import get_current_settings

        return f"sqlite+aiosqlite:///{get_current_settings().home / 'reelgate.db'}"

    @field_validator("moderators")
    @classmethod
    def _moderators_shape(cls, value: str | None) -> str | None:
        if value is not None:
            TypeAdapter(dict[str, list[str]]).validate_json(value)
        return value

    def moderators_for(self, customer_id: str) -> list[str] | None:
        """The moderator plugins that judge ``customer_id``'s requests (None: every one)."""
        if self.moderators is None:
            return None
        chosen = json.loads(self.moderators)
        named = chosen.get(customer_id, chosen.get("*"))
        return None if named is None else [str(name) for name in named]

    def private_allowance(self) -> bool | frozenset[str]:
        """For ``inputs.check_url``: every host, or the listed host names."""
        if self.allow_private_urls:
            return True
        return frozenset(h.strip().lower() for h in self.private_url_hosts.split(",") if h.strip())


_CACHE: dict[type[Settings], tuple[tuple[tuple[str, str], ...], Settings]] = {}


RUN_SETTINGS: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "reelgate_run_settings", default=None
)
"""The settings a run was started with: pinned by its entry point (a flow as it starts, or the
API process's executor, with that process's settings), read by every step below it."""


def run_settings() -> Settings:
    """The settings of the run under way (:data:`RUN_SETTINGS`); outside of any run, the
    process's (a step called on its own)."""
    return RUN_SETTINGS.get() or Settings.current()


@contextmanager
def pinned_run_settings() -> Iterator[Settings]:
    """Around a flow's body: keep the settings it was started with (the caller's pinned ones,
    else the process's) for all of its steps, so that one run never mixes two configurations.
    The pin ends with the body: the caller's next run reads the settings of that moment."""
    settings = run_settings()
    token = RUN_SETTINGS.set(settings)
    try:
        yield settings
    finally:
        RUN_SETTINGS.reset(token)
