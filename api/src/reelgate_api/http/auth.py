"""API keys and callers: each key may act for a set of customer ids (or every one, ``"*"``).

Tenancy is decided here once per request: a :class:`Caller` knows the customers it may act for
and scopes what it names (idempotency keys) to itself. Keys are compared in constant time and
never logged. With no keys configured the API is open and ``reelgate serve`` binds loopback
only.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from reelgate.errors import ForbiddenError, UnauthorizedError, ValidationError
from reelgate_api.settings import ApiSettings
from reelgate_flows.idempotency import key_id_of
from reelgate_flows.server_secret import server_secret

ANY_CUSTOMER = "*"
IDEMPOTENCY_KEY_MAX_LENGTH = 255


@dataclass(frozen=True)
class Caller:
    """Who calls: the customers their key may act for, and a stable id of that key (never the
    key itself; ``open`` on a server without keys)."""

    customers: frozenset[str]
    key_id: str

    def may_act_for(self, customer_id: str | None) -> bool:
        return ANY_CUSTOMER in self.customers or customer_id in self.customers

    def require(self, customer_id: str) -> None:
        """403 unless this caller may act for ``customer_id`` (a customer the body names)."""
        if not self.may_act_for(customer_id):
            raise ForbiddenError("this API key may not act for that customer")

    def scoped_idempotency_key(self, customer_id: str, header: str | None) -> str | None:
        """The Idempotency-Key header scoped to this caller and customer (None without one):
        the same key from another key or for another customer is another key. 400 for an
        empty or overlong key."""
        if header is None:
            return None
        if not header.strip():
            raise ValidationError("Idempotency-Key must not be empty", field="Idempotency-Key")
        if len(header) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationError(
                f"Idempotency-Key is longer than {IDEMPOTENCY_KEY_MAX_LENGTH} characters",
                field="Idempotency-Key",
            )
        return f"{self.key_id}/{customer_id}/{header}"


@dataclass(frozen=True)
class ApiKeys:
    grants: tuple[tuple[bytes, frozenset[str]], ...]
    key_secret: bytes = b""
    """The server's secret, which key ids are made with (:func:`key_id_of`)."""

    @property
    def enabled(self) -> bool:
        return bool(self.grants)

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> ApiKeys:
        raw = settings.api_keys
        if settings.api_keys_file:
            raw = Path(settings.api_keys_file).read_text()
        if not raw:
            return cls((), server_secret(settings))
        try:
            table = json.loads(raw)
        except ValueError as exc:
            raise ValidationError("REELGATE_API_KEYS is not a JSON object") from exc
        if not isinstance(table, dict):
            raise ValidationError("REELGATE_API_KEYS must map keys to customer id lists")
        grants = []
        for key, customers in table.items():
            allowed = [customers] if isinstance(customers, str) else customers
            if not key or not isinstance(allowed, list):
                raise ValidationError('each API key needs a list of customer ids or "*"')
            grants.append((key.encode(), frozenset(str(c) for c in allowed)))
        return cls(tuple(grants), server_secret(settings))

    def customers_for(self, presented: str | None) -> frozenset[str]:
        """The customer ids the presented key may act for; raises 401 without a valid key."""
        if not self.enabled:
            return frozenset({ANY_CUSTOMER})
        if not presented:
            raise UnauthorizedError("an API key is required (Authorization: Bearer <key>)")
        candidate = presented.encode()
        found: frozenset[str] | None = None
        for key, customers in self.grants:
            if hmac.compare_digest(key, candidate):
                found = customers
        if found is None:
            raise UnauthorizedError("the API key is not valid")
        return found

    def caller(self, presented: str | None) -> Caller:
        """The caller presenting ``presented``; 401 without a valid key (when keys are on)."""
        customers = self.customers_for(presented)
        if not self.enabled or presented is None:
            return Caller(customers, "open")
        return Caller(customers, key_id_of(presented, self.key_secret))


def presented_key(authorization: str | None, api_key_header: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return api_key_header
