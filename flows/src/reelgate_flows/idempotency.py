"""Tags that make things findable among Prefect flow runs.

A run started with an idempotency key carries ``reelgate-key:<digest>`` and
``reelgate-body:<digest>``: a later request with the same key finds the run, and a different
body under the same key is told apart (a conflict). The key is digested with its scope (the
caller and customer), so one tenant's key never finds another's run. A finished run carries
``reelgate-video:<digest>`` for each provider video it made, so an extend naming that provider
video id is checked against the customer who owns it, and ``reelgate-model:<id>`` so an
extension of it continues on the same model.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel

from reelgate.requests import GenerateRequest


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def key_digest(idempotency_key: str) -> str:
    """What identifies a (scoped) Idempotency-Key, without holding the key itself."""
    return _digest(idempotency_key)


def body_digest(request: BaseModel) -> str:
    """What tells one request body from another."""
    return _digest(request.model_dump_json())


def key_tag(idempotency_key: str) -> str:
    return f"reelgate-key:{key_digest(idempotency_key)}"


def body_tag(request: GenerateRequest) -> str:
    return f"reelgate-body:{body_digest(request)}"


def video_tag(provider_video_id: str) -> str:
    return f"reelgate-video:{_digest(provider_video_id)}"


MODEL_TAG = "reelgate-model:"
"""Marks a finished run with the model that made its videos (``reelgate-model:<id>``)."""


def model_tag(model_id: str) -> str:
    return f"{MODEL_TAG}{model_id}"


T = TypeVar("T")


def key_id_of(api_key: str, secret: bytes) -> str:
    """The stable id of an API key (what a caller carries and budgets name, never the key): an
    HMAC under the server's secret (:mod:`reelgate_flows.server_secret`), so the id shown in
    job records and Prefect runs does not let anyone test guesses of the key offline."""
    return hmac.new(secret, b"reelgate-api-key:" + api_key.encode(), hashlib.sha256).hexdigest()[
        :16
    ]


def of_key_id(per_key: Mapping[str, T], key_id: str | None, secret: bytes) -> T | None:
    """What ``per_key`` (keyed by API keys, as an operator writes them) holds for the key
    whose id is ``key_id`` (see :func:`key_id_of`); None for none."""
    if key_id is None:
        return None
    return next((v for key, v in per_key.items() if key_id_of(key, secret) == key_id), None)
