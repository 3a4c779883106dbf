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
from reelgate.rates import TOKEN_PIXELS, VIDEO_PIXELS, Rate

__all__ = [
    "CURRENCY",
    "TOKEN_PIXELS",
    "VIDEO_PIXELS",
    "Cost",
    "Price",
    "PriceBook",
    "Rate",
    "cost_of",
    "per_second",
    "prices_from_json",
    "prices_to_json",
]

CURRENCY = "USD"


class Price(BaseModel):
    """A model's price list: its rates, as of a date, from a source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rates: tuple[Rate, ...] = Field(min_length=1)
    as_of: datetime.date
    source: str
    usd_per_credit: float | None = Field(default=None, gt=0)
    """What one of the provider's credits costs (rates in ``credits_per_second``): the
    operator's figure (the provider's ``usd_per_credit`` setting), None while unknown."""

    def rate_for(
        self, resolution: str | None, audio: bool, seconds: float | None = None
    ) -> Rate | None:
        """The most specific rate matching the request (the first of equals); None when the
        price list has none for it."""
        matching = [rate for rate in self.rates if rate.matches(resolution, audio, seconds)]
        return max(matching, key=lambda rate: rate.specificity, default=None)

    @property
    def in_credits(self) -> bool:
        return any(rate.credits_per_second is not None for rate in self.rates)


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
    rates = [price.rate_for(resolution, audio, length) for length in seconds] or [
        price.rate_for(resolution, audio)
    ]
    rate = rates[0]
    if rate is None or any(other is None for other in rates):
        return Cost(
            amount=None,
            basis=f"the price list of {model_id} has no rate for {resolution or 'its default'} "
            f"{'with' if audio else 'without'} audio"
            f"{' at that length' if rate is not None and rate.duration_seconds else ''}: "
            "the cost is unknown",
        )
    total = sum(seconds)
    count = f"{len(seconds)} video{'s' if len(seconds) != 1 else ''}"
    where = f"{model_id} price as of {price.as_of.isoformat()}, {price.source}"
    conditions = _conditions(rate)
    if rate.usd_per_video is not None:
        amount = round(sum(other.usd_per_video or 0.0 for other in rates if other), 6)
        return Cost(
            amount=amount,
            basis=f"{count} x {rate.words()}{conditions}, {_seconds(total)} s {what}; {where}",
        )
    per_second = rate.per_second(resolution, price.usd_per_credit)
    if per_second is None:
        return Cost(amount=None, basis=_unknown_per_second(model_id, rate, resolution))
    return Cost(
        amount=round(total * per_second, 6),
        basis=f"{_seconds(total)} s {what} ({count}) x "
        f"{_rate_words(rate, per_second, price.usd_per_credit)}{conditions}; {where}",
    )


def _conditions(rate: Rate) -> str:
    parts = [
        part
        for part in (
            rate.resolution,
            None if rate.audio is None else ("with audio" if rate.audio else "without audio"),
        )
        if part
    ]
    return f" ({', '.join(parts)})" if parts else ""


def _unknown_per_second(model_id: str, rate: Rate, resolution: str | None) -> str:
    if rate.credits_per_second is not None:
        return (
            f"{model_id} bills {rate.words()} and no USD per credit is set (the provider's "
            "usd_per_credit setting): the cost is unknown"
        )
    return (
        f"{model_id} bills in tokens and the frame size of {resolution or 'its default'} is not "
        "known: the cost is unknown"
    )


def _rate_words(rate: Rate, per_second: float, usd_per_credit: float | None) -> str:
    if rate.usd_per_second is not None:
        return rate.words()
    if rate.credits_per_second is not None:
        return f"{rate.words()} at ${usd_per_credit:g}/credit (${per_second:.6g}/s)"
    return f"{rate.words()} at {rate.fps} fps (${per_second:.6g}/s)"


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


def prices_to_json(prices: Mapping[str, Price | None]) -> dict[str, Any]:
    """Pinned prices (by model id) as JSON, for a job's record."""
    return {model: None if p is None else p.model_dump(mode="json") for model, p in prices.items()}


def prices_from_json(raw: Mapping[str, Any]) -> dict[str, Price | None]:
    """The pinned prices :func:`prices_to_json` wrote."""
    return {model: None if p is None else Price.model_validate(p) for model, p in raw.items()}
