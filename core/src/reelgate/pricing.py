"""Prices as data, and the cost of a request or of what a provider delivered.

A model's :class:`Price` is in USD per second of output video, by resolution and by audio on or
off (the providers bill that way), times the number of videos, with the date and the source of
the figure. Plugins declare it on their ``ModelSpec``; an operator overrides any of them with a
price file (``REELGATE_PRICES_FILE``, JSON or TOML: model id → price, or null for "unknown") so
a negotiated or changed price needs no release. A model without a price has an *unknown* cost
(``amount`` None), never an invented one.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError

CURRENCY = "USD"


class Rate(BaseModel):
    """USD per second of output for requests at ``resolution`` with audio ``audio`` (None:
    any)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd_per_second: float = Field(ge=0)
    resolution: str | None = None
    audio: bool | None = None

    def matches(self, resolution: str | None, audio: bool) -> bool:
        return (self.resolution is None or self.resolution == resolution) and (
            self.audio is None or self.audio == audio
        )

    @property
    def specificity(self) -> int:
        return (self.resolution is not None) + (self.audio is not None)


class Price(BaseModel):
    """A model's price list: its rates, as of a date, from a source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rates: tuple[Rate, ...] = Field(min_length=1)
    as_of: datetime.date
    source: str

    def rate_for(self, resolution: str | None, audio: bool) -> Rate | None:
        """The most specific rate matching the request (the first of equals); None when the
        price list has none for it."""
        matching = [rate for rate in self.rates if rate.matches(resolution, audio)]
        return max(matching, key=lambda rate: rate.specificity, default=None)


def per_second(usd_by_resolution: Mapping[str | None, float], as_of: str, source: str) -> Price:
    """A price in USD a second by resolution (None: any resolution): the shorthand plugins
    declare prices with, e.g. ``per_second({"720p": 0.10, "1080p": 0.12}, "2026-11-01", url)``."""
    return Price(
        rates=tuple(
            Rate(usd_per_second=usd, resolution=resolution)
            for resolution, usd in usd_by_resolution.items()
        ),
        as_of=datetime.date.fromisoformat(as_of),
        source=source,
    )


class Cost(BaseModel):
    """What a job costs (``amount`` None: unknown), and how it was worked out."""

    model_config = ConfigDict(frozen=True)

    amount: float | None
    currency: str = CURRENCY
    basis: str

    @property
    def known(self) -> bool:
        return self.amount is not None


def cost_of(
    model_id: str,
    price: Price | None,
    seconds: Sequence[float],
    resolution: str | None,
    audio: bool,
    what: str,
) -> Cost:
    """The cost of videos lasting ``seconds`` (one entry per video) at ``price``; ``what``
    says whether the seconds were asked for or delivered."""
    if price is None:
        return Cost(amount=None, basis=f"no verified price for {model_id}: the cost is unknown")
    rate = price.rate_for(resolution, audio)
    if rate is None:
        return Cost(
            amount=None,
            basis=f"the price list of {model_id} has no rate for {resolution or 'its default'} "
            f"{'with' if audio else 'without'} audio: the cost is unknown",
        )
    total = sum(seconds)
    amount = round(total * rate.usd_per_second, 6)
    conditions = ", ".join(
        part
        for part in (
            rate.resolution,
            None if rate.audio is None else ("with audio" if rate.audio else "without audio"),
        )
        if part
    )
    return Cost(
        amount=amount,
        basis=f"{_seconds(total)} s {what} ({len(seconds)} video{'s' if len(seconds) != 1 else ''})"
        f" x ${rate.usd_per_second:g}/s{f' ({conditions})' if conditions else ''}; "
        f"{model_id} price as of {price.as_of.isoformat()}, {price.source}",
    )


def _seconds(value: float) -> str:
    return f"{value:g}"


class PriceBook:
    """The prices in force: each model's declared price unless the operator's file overrides
    it (a price, or null: unknown)."""

    def __init__(self, overrides: Mapping[str, Price | None] | None = None) -> None:
        self.overrides = dict(overrides or {})

    @classmethod
    def from_file(cls, path: str | None) -> PriceBook:
        """The overrides of a JSON or TOML price file (none without a path). A file that
        cannot be read or holds a bad price is a ValidationError naming it."""
        if not path:
            return cls()
        try:
            text = Path(path).read_text()
            raw: Any = tomllib.loads(text) if path.endswith(".toml") else json.loads(text)
        except (OSError, ValueError) as exc:
            raise ValidationError(f"cannot read the price file {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise ValidationError(f"the price file {path} must map model ids to prices")
        overrides: dict[str, Price | None] = {}
        for model, price in raw.items():
            try:
                overrides[model] = (
                    None if price in (None, "unknown") else Price.model_validate(price)
                )
            except PydanticValidationError as exc:
                raise ValidationError(
                    f"the price of {model} in {path} is not valid: {exc}"
                ) from exc
        return cls(overrides)

    def price_of(self, model_id: str, declared: Price | None) -> Price | None:
        return self.overrides.get(model_id, declared)
