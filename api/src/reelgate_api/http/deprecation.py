"""The HTTP face of a deprecated model (:mod:`reelgate.lifecycle`): an admitted job whose model
is deprecated answers with ``Deprecation`` (RFC 9745, the day it was deprecated), ``Sunset``
(RFC 8594, the day it retires) and ``Link: <...>; rel="successor-version"`` headers, whatever
the route that admitted it."""

from __future__ import annotations

import datetime
from email.utils import format_datetime
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

WARNINGS_STATE = "reelgate_warnings"
"""The request state key under which an admission leaves its ``warnings``."""


def deprecation_headers(warnings: list[dict[str, Any]]) -> dict[str, str]:
    """The headers of a job admitted with these ``warnings`` (none without a deprecation)."""
    headers: dict[str, str] = {}
    for warning in warnings:
        if warning.get("type") != "model_deprecated":
            continue
        since = _midnight(warning.get("deprecated_on"))
        if since is not None:
            headers["Deprecation"] = f"@{int(since.timestamp())}"
        sunset = _midnight(warning.get("retires_on"))
        if sunset is not None:
            headers["Sunset"] = format_datetime(sunset, usegmt=True)
        if warning.get("successor"):
            headers["Link"] = (
                f'</video/models>; rel="successor-version"; title="{warning["successor"]}"'
            )
    return headers


def _midnight(day: str | None) -> datetime.datetime | None:
    if not day:
        return None
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(), tzinfo=datetime.UTC
    )


async def add_deprecation_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the headers of the warnings an admission left on the request."""
    if message["type"] != "http.response.start":
        return
    warnings = scope.get("state", {}).get(WARNINGS_STATE)
    if not warnings:
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in deprecation_headers(warnings).items():
        headers[name] = value
