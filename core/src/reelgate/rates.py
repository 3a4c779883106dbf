"""One rate of a price list, on the basis its provider bills: USD per second of output, USD per
million video tokens, USD per video of a given length, or provider credits per second (turned
into USD at the operator's USD per credit)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

VIDEO_PIXELS = {"480p": 854 * 480, "720p": 1280 * 720, "1080p": 1920 * 1080}
"""Pixels of a frame at each resolution (the ratio changes its sides, not their product much):
what a token rate is counted on."""
TOKEN_PIXELS = 1024
"""Pixels a video token stands for: tokens = seconds x width x height x fps / 1024 (the
basis ByteDance's Seedance bills on)."""
BASES = ("usd_per_second", "usd_per_million_tokens", "usd_per_video", "credits_per_second")


class Rate(BaseModel):
    """A price for requests at ``resolution`` with audio ``audio`` (None: any), on one basis:

    - ``usd_per_second`` of output;
    - ``usd_per_million_tokens``, counted at ``fps`` frames a second on the pixels of the
      resolution (:data:`VIDEO_PIXELS`);
    - ``usd_per_video``, for a video of ``duration_seconds`` (None: any length);
    - ``credits_per_second``: the provider's credits, at the price's ``usd_per_credit``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usd_per_second: float | None = Field(default=None, ge=0)
    usd_per_million_tokens: float | None = Field(default=None, ge=0)
    usd_per_video: float | None = Field(default=None, ge=0)
    credits_per_second: float | None = Field(default=None, ge=0)
    fps: int = Field(default=24, ge=1)
    resolution: str | None = None
    audio: bool | None = None
    duration_seconds: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_basis(self) -> Rate:
        if sum(getattr(self, basis) is not None for basis in BASES) != 1:
            raise ValueError(f"a rate has exactly one of {', '.join(BASES)}")
        if self.duration_seconds is not None and self.usd_per_video is None:
            raise ValueError("duration_seconds belongs to a usd_per_video rate")
        return self

    def matches(self, resolution: str | None, audio: bool, seconds: float | None = None) -> bool:
        """Whether the rate prices a video at ``resolution``, ``audio`` and (for a rate of a
        given length) about ``seconds`` long (within a second)."""
        length_fits = (
            self.duration_seconds is None
            or seconds is None
            or abs(self.duration_seconds - seconds) < 1.0
        )
        return (
            length_fits
            and (self.resolution is None or self.resolution == resolution)
            and (self.audio is None or self.audio == audio)
        )

    @property
    def specificity(self) -> int:
        return (
            (self.resolution is not None)
            + (self.audio is not None)
            + (self.duration_seconds is not None)
        )

    def per_second(self, resolution: str | None, usd_per_credit: float | None) -> float | None:
        """USD per second of output at ``resolution``; None for a per-video rate, a token rate
        at a resolution whose frame size is not known, or credits without a USD per credit."""
        if self.usd_per_second is not None:
            return self.usd_per_second
        if self.credits_per_second is not None:
            return None if usd_per_credit is None else self.credits_per_second * usd_per_credit
        pixels = VIDEO_PIXELS.get(self.resolution or resolution or "")
        if pixels is None or self.usd_per_million_tokens is None:
            return None
        return self.usd_per_million_tokens * pixels * self.fps / TOKEN_PIXELS / 1_000_000

    def words(self) -> str:
        """The rate as a price list says it: ``$0.1/s``, ``$7/M tokens``, ``$0.28/video (6 s)``
        or ``12 credits/s``."""
        if self.usd_per_second is not None:
            return f"${self.usd_per_second:g}/s"
        if self.usd_per_video is not None:
            length = f" ({self.duration_seconds} s)" if self.duration_seconds else ""
            return f"${self.usd_per_video:g}/video{length}"
        if self.credits_per_second is not None:
            return f"{self.credits_per_second:g} credits/s"
        return f"${self.usd_per_million_tokens:g}/M tokens"
