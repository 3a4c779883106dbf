"""What a plugin declares about itself, as data: providers, models and their capabilities.

The registry resolves model names from these declarations alone, and checks every request
against :class:`Capabilities` before a plugin is called.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reelgate.jobs import JobKind
from reelgate.pricing import Price


class SettingSpec(BaseModel):
    """One setting a provider reads from its ProviderContext, and the variable it comes from."""

    model_config = ConfigDict(frozen=True)

    name: str
    env: str
    secret: bool = False
    default: str | None = None
    description: str = ""


class ProviderSpec(BaseModel):
    """A provider: its public name (shown as ``provider`` in responses), its settings, and the
    alternative sets of settings that make it usable (``configured_when``: any one set whose
    settings are all present; an empty list means it always is)."""

    model_config = ConfigDict(frozen=True)

    name: str
    settings: tuple[SettingSpec, ...] = ()
    configured_when: tuple[tuple[str, ...], ...] = ()
    docs_url: str | None = None
    lost_submission_proof: str | None = None
    """How the plugin settles a create whose answer was lost (e.g. "its idempotency key", "the
    task list, matched on prompt and seed"); None when it cannot: such a create is never sent
    again, and the job ends in a final error naming where to ask (``support``)."""
    support: str | None = None
    """Where a person finds a task the provider made but reelgate could not prove (a support
    address or console page), for the final error of an unclear create."""

    @model_validator(mode="after")
    def _known_setting_names(self) -> ProviderSpec:
        names = {s.name for s in self.settings}
        for group in self.configured_when:
            unknown = set(group) - names
            if unknown:
                raise ValueError(f"configured_when names undeclared settings {sorted(unknown)}")
        return self


class Capabilities(BaseModel):
    """What a model can do. ``None`` in a list field means the setting cannot be chosen for this
    model (a request that sets it is refused); ``durations`` lists every accepted value.
    ``duration_tolerance_seconds``: how far a delivered video's length may be from the one
    reported (or asked for) before the download is judged broken."""

    model_config = ConfigDict(frozen=True)

    kinds: frozenset[JobKind] = frozenset({JobKind.TEXT})
    durations: tuple[int, ...] = (5,)
    aspect_ratios: tuple[str, ...] = ("16:9", "9:16")
    text_aspect_ratios: tuple[str, ...] | None = None
    """The aspect ratios of text-to-video where they are fewer than ``aspect_ratios`` (a model
    that takes more shapes from a first frame than from text alone); None: the same."""
    resolutions: tuple[str, ...] | None = None
    fps: tuple[int, ...] | None = None
    audio: bool = False
    max_videos: int = Field(default=1, ge=1)
    cancel: bool = False
    image_mime_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
    duration_tolerance_seconds: float = Field(default=1.0, ge=0.0)
    durations_at_resolution: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    """Resolutions offered only at some durations (Veo: ``{"1080p": (8,)}``); the resolution
    is the request's, else the model's default."""
    references: dict[str, int] = Field(default_factory=dict)
    """How many references of each type (``image``, ``video``, ``audio``) the model takes at
    most in one request (none: it takes none)."""
    reference_roles: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """The roles each reference type may have, the default first (Veo: ``{"image": ("asset",
    "style")}``); a type not named takes any role."""
    reference_durations: tuple[int, ...] | None = None
    """The durations a request with references may have (Veo: 8 s only); None: any."""
    reference_aspect_ratios: tuple[str, ...] | None = None
    """The aspect ratios a request with references may have (Vertex Veo: 16:9); None: any."""
    extend_resolutions: tuple[str, ...] | None = None
    """The resolutions an extension may have (None: any of ``resolutions``)."""
    provider_options: tuple[str, ...] | None = None
    """The names ``settings.video.provider_options`` may hold (None: not declared, every
    name reaches the plugin)."""
    extension_billing: Literal["added_seconds", "whole_video"] = "added_seconds"
    """What the provider bills for an extension: the seconds it adds (the request's
    ``duration_seconds``, though the video it returns holds the source too), or the whole
    video it returns. The estimate, the budget's reservation and settlement, and
    ``data.cost`` all follow it."""


class ModelSpec(BaseModel):
    """One model: ``id`` (reelgate's name), ``provider_model`` (the provider's name for it),
    ``aliases``, and fnmatch ``patterns`` (``kling*``) that route otherwise unknown names here.
    ``default_resolution``/``default_fps`` apply when the request leaves them null."""

    model_config = ConfigDict(frozen=True)

    id: str
    provider: ProviderSpec
    provider_model: str
    aliases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    capabilities: Capabilities = Field(default_factory=Capabilities)
    default_resolution: str | None = None
    default_fps: int | None = None
    description: str = ""
    price: Price | None = None
    """USD per second of output (:mod:`reelgate.pricing`); None: no verified price, the cost
    is unknown."""
    deprecated_on: datetime.date | None = None
    """From this day (UTC) requests still run, answered with a warning
    (:mod:`reelgate.lifecycle`)."""
    retires_on: datetime.date | None = None
    """From this day (UTC) the model takes no request: a route moves to ``successor``, a
    request naming the model gets a 410 naming it."""
    successor: str | None = None
    """The model that replaces this one (a name the registry resolves)."""
