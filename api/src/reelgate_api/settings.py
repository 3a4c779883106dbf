"""Settings of the HTTP API (prefix ``REELGATE_``): reelgate's settings plus the API's own."""

from __future__ import annotations

import socket
from typing import Literal

from pydantic import Field

from reelgate_flows.settings import Settings


class ApiSettings(Settings):
    """:class:`~reelgate_flows.settings.Settings` and the fields only ``reelgate serve`` reads."""

    sync_timeout_seconds: float = Field(
        default=600.0,
        gt=0,
        description="how long POST /video/generate waits before answering 202 with the job id",
    )
    max_running_jobs: int = Field(
        default=2,
        ge=1,
        description="jobs of this process busy at once (validating, submitting, downloading, "
        "storing); jobs waiting on their provider do not count; later work queues",
    )
    execution: Literal["in-process", "deployment"] = Field(
        default="in-process",
        description="in-process: this process runs the flows; deployment: it starts runs of "
        "reelgate's deployments and `reelgate worker` processes run them",
    )
    executor_name: str = Field(
        default_factory=lambda: f"api@{socket.gethostname()}",
        description="this process's stable name (in-process execution): after a crash it "
        "resumes the unfinished jobs carrying this name; give every API process its own",
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    header_read_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long a request's headers may take to arrive"
    )
    body_read_timeout_seconds: float = Field(
        default=60.0, gt=0, description="how long a request's body may take to arrive (408)"
    )
    metrics_token: str | None = Field(
        default=None,
        description="a Bearer token that may read /metrics on a server with API keys (else "
        "only a key for every customer may)",
    )
    api_keys: str | None = Field(
        default=None,
        description="JSON object mapping each API key to the customer ids it may act for, "
        'e.g. {"key-1": ["acme"], "ops-key": "*"}; unset: no keys (loopback only)',
    )
    api_keys_file: str | None = Field(default=None, description="a file holding that JSON")
    webhook_secret: str | None = Field(
        default=None, description="Standard Webhooks signing secret (whsec_<base64> or text)"
    )
    webhook_attempts: int = Field(default=5, ge=1, le=20)
    webhook_retry_base_seconds: float = Field(default=1.0, ge=0)
    allowed_hosts: str = Field(
        default="127.0.0.1,localhost,::1",
        description="comma list of Host names the API answers for when public_base_url is "
        "unset (URLs it hands out are built from the request's Host)",
    )
    cors_origins: str = Field(
        default="",
        description="comma list of web origins (https://app.example) whose browser requests "
        "are allowed; requests from any other origin are refused",
    )
    file_url_seconds: int = Field(
        default=7 * 24 * 3600, ge=60, description="how long a signed /files URL stays valid"
    )
    service_url: str | None = Field(
        default=None,
        description="a reelgate server's URL: VideoGenerationService.from_settings() and the "
        "MCP server send jobs there instead of running them in this process",
    )
    api_key: str | None = Field(
        default=None, description="the API key sent to service_url (and by the CLI)"
    )
    public_base_url: str | None = Field(
        default=None, description="base of the URLs the API hands out (default: the request's)"
    )

    def allowed_host_names(self) -> list[str]:
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
