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

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError

CURRENCY = "USD"


VIDEO_PIXELS = {"480p": 854 * 480, "720p": 1280 * 720, "1080p": 1920 * 1080}
"""Pixels of a frame at each resolution (the ratio changes its sides, not their product much):
what a token rate is counted on."""
TOKEN_PIXELS = 1024
"""Pixels a video token stands for: tokens = seconds x width x height x fps / 1024 (the
basis ByteDance's Seedance bills on)."""


class Rate(BaseModel):
    """A price for requests at ``resolution`` with audio ``audio`` (None: any): USD per second
    of output, or USD per million video tokens (``usd_per_million_tokens``, counted at
    ``fps`` frames a second on the pixels of the resolution, :data:`VIDEO_PIXELS`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd_per_second: float | None = Field(default=None, ge=0)
    usd_per_million_tokens: float | None = Field(default=None, ge=0)
    fps: int = Field(default=24, ge=1)
    resolution: str | None = None
    audio: bool | None = None

    @model_validator(mode="after")
    def _one_basis(self) -> Rate:
        if (self.usd_per_second is None) == (self.usd_per_million_tokens is None):
            raise ValueError("a rate has usd_per_second or usd_per_million_tokens (one of them)")
        return self

    def matches(self, resolution: str | None, audio: bool) -> bool:
        return (self.resolution is None or self.resolution == resolution) and (
            self.audio is None or self.audio == audio
        )

    @property
    def specificity(self) -> int:
        return (self.resolution is not None) + (self.audio is not None)

    def per_second(self, resolution: str | None) -> float | None:
        """USD per second of output at ``resolution``; None for a token rate at a resolution
        whose frame size is not known."""
        if self.usd_per_second is not None:
            return self.usd_per_second
        pixels = VIDEO_PIXELS.get(self.resolution or resolution or "")
        if pixels is None or self.usd_per_million_tokens is None:
            return None
        return self.usd_per_million_tokens * pixels * self.fps / TOKEN_PIXELS / 1_000_000

    def words(self) -> str:
        """The rate as a price list says it: ``$0.1/s`` or ``$7/M tokens``."""
        if self.usd_per_second is not None:
            return f"${self.usd_per_second:g}/s"
        return f"${self.usd_per_million_tokens:g}/M tokens"


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
    per_second = rate.per_second(resolution)
    if per_second is None:
        return Cost(
            amount=None,
            basis=f"{model_id} bills in tokens and the frame size of {resolution or 'its default'}"
            " is not known: the cost is unknown",
        )
    total = sum(seconds)
    amount = round(total * per_second, 6)
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
        f" x {_rate_words(rate, per_second)}{f' ({conditions})' if conditions else ''}; "
        f"{model_id} price as of {price.as_of.isoformat()}, {price.source}",
    )


def _rate_words(rate: Rate, per_second: float) -> str:
    if rate.usd_per_second is not None:
        return rate.words()
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
