"""Models that retire: the dates a :class:`~reelgate.specs.ModelSpec` carries (or the operator
sets over them, ``REELGATE_MODEL_LIFECYCLE``), and what they mean for a request.

- Before ``deprecated_on``: nothing happens.
- From ``deprecated_on``: requests still run; each answer carries a ``warnings`` entry
  (:func:`deprecation_warning`), the HTTP API adds ``Deprecation``/``Sunset``/``Link``
  headers, and admission logs a line.
- From ``retires_on``: a route (``REELGATE_ROUTES``, ``fallback_models``) moves to the
  ``successor`` in the retired model's place (or drops it when there is none); a request
  naming the model itself gets a 410 ``model_retired`` naming the successor.

Dates are days in UTC.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ModelRetiredError, ValidationError
from reelgate.specs import ModelSpec

Stage = Literal["active", "deprecated", "retired"]


class Lifecycle(BaseModel):
    """A model's dates and successor, as the plugin declared them or the operator set them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deprecated_on: datetime.date | None = None
    retires_on: datetime.date | None = None
    successor: str | None = None

    @classmethod
    def of(cls, spec: ModelSpec) -> Lifecycle:
        return cls(
            deprecated_on=spec.deprecated_on, retires_on=spec.retires_on, successor=spec.successor
        )

    def over(self, declared: Lifecycle) -> Lifecycle:
        """These dates where set, the ``declared`` ones elsewhere."""
        return declared.model_copy(update=self.model_dump(exclude_unset=True))

    def stage(self, today: datetime.date | None = None) -> Stage:
        today = today or utc_today()
        if self.retires_on is not None and today >= self.retires_on:
            return "retired"
        if self.deprecated_on is not None and today >= self.deprecated_on:
            return "deprecated"
        return "active"


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def parse_lifecycles(text: str | None) -> dict[str, Lifecycle]:
    """``REELGATE_MODEL_LIFECYCLE``: a JSON object of model ids to ``{"deprecated_on",
    "retires_on", "successor"}`` (ISO dates), set over what the plugins declare, e.g.
    ``{"sora-2": {"retires_on": "2026-09-24", "successor": "veo-3.1"}}``."""
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"REELGATE_MODEL_LIFECYCLE is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValidationError("REELGATE_MODEL_LIFECYCLE must map model ids to their dates")
    parsed: dict[str, Lifecycle] = {}
    for name, dates in raw.items():
        try:
            parsed[str(name).lower()] = Lifecycle.model_validate(dates)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in (name, *first["loc"]))
            raise ValidationError(f"REELGATE_MODEL_LIFECYCLE: {where}: {first['msg']}") from exc
    return parsed


def deprecation_warning(model: str, lifecycle: Lifecycle) -> dict[str, Any]:
    """The ``warnings`` entry of a request served by a deprecated ``model``."""
    said = f"model {model!r} is deprecated since {lifecycle.deprecated_on}"
    if lifecycle.retires_on is not None:
        said += f" and retires on {lifecycle.retires_on}"
    if lifecycle.successor:
        said += f"; move to {lifecycle.successor!r}"
    return {
        "type": "model_deprecated",
        "message": said,
        "model": model,
        "deprecated_on": _iso(lifecycle.deprecated_on),
        "retires_on": _iso(lifecycle.retires_on),
        "successor": lifecycle.successor,
    }


def retired_error(model: str, lifecycle: Lifecycle) -> ModelRetiredError:
    said = f"model {model!r} was retired on {lifecycle.retires_on}"
    said += f"; use {lifecycle.successor!r}" if lifecycle.successor else "; it has no successor"
    return ModelRetiredError(
        said,
        model=model,
        retired_on=_iso(lifecycle.retires_on),
        successor=lifecycle.successor,
    )


def _iso(day: datetime.date | None) -> str | None:
    return None if day is None else day.isoformat()


def living_models(
    lifecycle_of: Callable[[str], Lifecycle | None], names: list[str], routed: bool
) -> list[str]:
    """``names`` with each retired model replaced by its successor (in a route: one the
    operator configured, or a request's fallbacks), or refused with a 410 (a model the
    request named alone); a retired model without a successor leaves a route."""
    living: list[str] = []
    for name in names:
        current: str | None = name
        lifecycle = lifecycle_of(name)
        seen: set[str] = set()
        while current and lifecycle is not None and lifecycle.stage() == "retired":
            if not routed:
                raise retired_error(current, lifecycle)
            seen.add(current.lower())
            current = lifecycle.successor
            if current is not None and current.lower() in seen:
                current = None
            lifecycle = None if current is None else lifecycle_of(current)
        if current:
            living.append(current)
    if not living:
        dates = lifecycle_of(names[0])
        assert dates is not None
        raise retired_error(names[0], dates)
    return living
