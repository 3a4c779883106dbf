"""URLs nobody can open are said out loud: a private S3 bucket with presigning off is a warning
in the log and in /healthz at start."""

from __future__ import annotations

import logging
from typing import Any

from litestar.testing import AsyncTestClient

from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings


async def health(**settings: Any) -> dict[str, Any]:
    async with AsyncTestClient(app=create_app(ApiSettings(**settings)), timeout=120) as client:
        answer = await client.get("/healthz")
        assert answer.status_code == 200
        result: dict[str, Any] = answer.json()
        return result


class Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_a_private_bucket_without_presigning_is_a_warning(
    s3_env: str, use_runtime: Any
) -> None:
    use_runtime()
    logged = Remember()  # the app's logging config replaces the root handlers (and caplog's)
    logging.getLogger("reelgate.api").addHandler(logged)
    try:
        private = await health()
    finally:
        logging.getLogger("reelgate.api").removeHandler(logged)
    assert private["status"] == "ok" and len(private["warnings"]) == 1
    assert s3_env in private["warnings"][0] and "REELGATE_S3_PRESIGN" in private["warnings"][0]
    assert any("will answer 403" in message for message in logged.messages)
    assert await health(s3_presign=True) == {"status": "ok"}
    assert await health(s3_public_base_url="https://cdn.example") == {"status": "ok"}
