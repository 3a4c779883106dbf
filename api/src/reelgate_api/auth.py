"""API keys: each key may act for a set of customer ids (or every one, ``"*"``).

Keys are compared in constant time and never logged. With no keys configured the API is open
and ``reelgate serve`` binds loopback only.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from reelgate.errors import ForbiddenError, UnauthorizedError, ValidationError
from reelgate_api.settings import ApiSettings

ANY_CUSTOMER = "*"


@dataclass(frozen=True)
class ApiKeys:
    grants: tuple[tuple[bytes, frozenset[str]], ...]

    @property
    def enabled(self) -> bool:
        return bool(self.grants)

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> ApiKeys:
        raw = settings.api_keys
        if settings.api_keys_file:
            raw = Path(settings.api_keys_file).read_text()
        if not raw:
            return cls(())
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
        return cls(tuple(grants))

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

    def authorize(self, presented: str | None, customer_id: str | None) -> None:
        """Raise 401/403 unless the key may act for ``customer_id``."""
        allowed = self.customers_for(presented)
        if ANY_CUSTOMER in allowed or customer_id is None:
            return
        if customer_id not in allowed:
            raise ForbiddenError("this API key may not act for that customer")


def presented_key(authorization: str | None, api_key_header: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return api_key_header
