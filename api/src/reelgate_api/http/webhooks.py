"""Webhook deliveries signed per the Standard Webhooks spec: ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.
One attempt at a time: the outbox (:mod:`reelgate_api.http.webhook_delivery`) decides when to try
again; the target is checked with the same address rules as input images at every attempt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from reelgate.errors import ValidationError
from reelgate_flows.inputs import PrivateAllowance, check_url

logger = logging.getLogger("reelgate.webhooks")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def signing_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


@dataclass(frozen=True)
class WebhookSender:
    secret: str | None
    attempts: int
    retry_base_seconds: float
    allow_private: PrivateAllowance
    timeout_seconds: float = 10.0

    async def check(self, url: str) -> None:
        """Refuse a webhook URL before the job starts (a 400 that says why)."""
        if not self.secret:
            raise ValidationError(
                "webhooks need REELGATE_WEBHOOK_SECRET on the server", field="webhook_url"
            )
        await check_url(url, "webhook_url", self.allow_private)

    async def send_once(self, url: str, payload: dict[str, Any], message_id: str) -> bool:
        """POST ``payload`` once, as event ``message_id``; True on a 2xx answer. The target
        is checked against the address rules again (DNS may have changed)."""
        assert self.secret is not None
        body = json.dumps(payload).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, message_id, timestamp, body),
        }
        try:
            checked = await check_url(url, "webhook_url", self.allow_private)
            async with httpx.AsyncClient(
                timeout=self.timeout_seconds, follow_redirects=False
            ) as client:
                response = await client.post(
                    checked.url,
                    content=body,
                    headers={**headers, **checked.headers},
                    extensions=checked.extensions,
                )
        except (httpx.HTTPError, ValidationError) as exc:
            logger.warning("webhook %s failed: %s", message_id, type(exc).__name__)
            return False
        if 200 <= response.status_code < 300:
            return True
        logger.warning("webhook %s answered %d", message_id, response.status_code)
        return False
