"""What the Runway plugin serves, as data: the provider, its settings, its models and the
``ratio`` strings Runway names reelgate's aspect ratios (and resolutions) by.

Served: Runway's own ``gen4.5`` (text and image to video, 2-10 s) and ``gen4_turbo`` (image to
video, 5 or 10 s), and the Veo 3.1 models Runway hosts, as ``runway-veo3.1`` and
``runway-veo3.1-fast`` so that no name can be taken for Vertex's ``veo-3.1-*``. Not served:
the other hosted models (their shapes changed between SDK 5.13 and 5.24), ``video_to_video``
and routers.

Prices: Runway bills in credits. The rates below are third parties' figures (WIRE-NEXT.md
§4.7: gen4_turbo 5 credits/s; gen4.5 12 credits/s, though one source says about 25); no
official figure was captured. A cost in USD needs the operator's USD per credit
(``RUNWAYML_USD_PER_CREDIT``, or ``REELGATE_PRICES_FILE``); without it the cost is unknown."""

from __future__ import annotations

import datetime

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec
from reelgate.pricing import Price
from reelgate.rates import Rate

RUNWAY = ProviderSpec(
    name="runway",
    settings=(
        SettingSpec(name="api_secret", env="RUNWAYML_API_SECRET", secret=True),
        SettingSpec(
            name="base_url",
            env="RUNWAYML_BASE_URL",
            default="https://api.dev.runwayml.com",
            description="Runway's API",
        ),
        SettingSpec(
            name="usd_per_credit",
            env="RUNWAYML_USD_PER_CREDIT",
            description="what one Runway credit costs you in USD (e.g. 0.01): without it, the "
            "cost of a Runway video is unknown",
        ),
        SettingSpec(
            name="timeout_seconds",
            env="REELGATE_RUNWAY_TIMEOUT_SECONDS",
            default="60",
            description="how long an answer is waited for (a create past it is unclear, and "
            "never sent again)",
        ),
        SettingSpec(
            name="poll_seconds",
            env="REELGATE_RUNWAY_POLL_SECONDS",
            default="5",
            description="pause between polls of a task",
        ),
    ),
    configured_when=(("api_secret",),),
    docs_url="https://docs.dev.runwayml.com/api",
    support="the task history of the Runway developer portal (dev.runwayml.com) or Runway support",
)

RATIOS = {
    "16:9": "1280:720",
    "9:16": "720:1280",
    "4:3": "1104:832",
    "1:1": "960:960",
    "3:4": "832:1104",
    "21:9": "1584:672",
}
"""Runway's ``ratio`` of each aspect ratio at its one size (gen4.5, gen4_turbo)."""
VEO_RATIOS = {
    ("16:9", "720p"): "1280:720",
    ("9:16", "720p"): "720:1280",
    ("16:9", "1080p"): "1920:1080",
    ("9:16", "1080p"): "1080:1920",
}
"""The ``ratio`` of the hosted Veo models, by aspect ratio and resolution."""

_CREDITS_SOURCE = (
    "third-party figures (WIRE-NEXT.md §4.7), not Runway's price page; the USD per credit is "
    "the operator's RUNWAYML_USD_PER_CREDIT"
)


def _credits(per_second: float) -> Price:
    return Price(
        rates=(Rate(credits_per_second=per_second),),
        as_of=datetime.date(2026, 10, 24),
        source=_CREDITS_SOURCE,
    )


GEN45 = ModelSpec(
    id="gen4.5",
    provider=RUNWAY,
    provider_model="gen4.5",
    aliases=("runway", "runway-gen4.5", "gen-4.5"),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT, JobKind.IMAGE}),
        durations=tuple(range(2, 11)),
        aspect_ratios=tuple(RATIOS),
        text_aspect_ratios=("16:9", "9:16"),
        cancel=True,
    ),
    description="Runway Gen-4.5: 2-10 s; text (16:9, 9:16) or a first frame (six shapes)",
    price=_credits(12),
)
GEN4_TURBO = ModelSpec(
    id="gen4_turbo",
    provider=RUNWAY,
    provider_model="gen4_turbo",
    aliases=("runway-gen4-turbo", "gen-4-turbo"),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.IMAGE}),
        durations=(5, 10),
        aspect_ratios=tuple(RATIOS),
        cancel=True,
    ),
    description="Runway Gen-4 Turbo: image-to-video only, 5 or 10 s",
    price=_credits(5),
)


def _hosted_veo(model_id: str, model: str, name: str) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=RUNWAY,
        provider_model=model,
        capabilities=Capabilities(
            kinds=frozenset({JobKind.TEXT, JobKind.IMAGE}),
            durations=(4, 6, 8),
            aspect_ratios=("16:9", "9:16"),
            resolutions=("720p", "1080p"),
            audio=True,
            cancel=True,
        ),
        default_resolution="720p",
        description=f"Google {name} hosted by Runway (billed in Runway credits; no price declared)",
    )


HOSTED_VEO = _hosted_veo("runway-veo3.1", "veo3.1", "Veo 3.1")
HOSTED_VEO_FAST = _hosted_veo("runway-veo3.1-fast", "veo3.1_fast", "Veo 3.1 Fast")
MODELS = (GEN45, GEN4_TURBO, HOSTED_VEO, HOSTED_VEO_FAST)
