"""Sora's declarations: settings (OPENAI_*, REELGATE_SORA_*), models and sizes (WIRE.md §2.8).

OpenAI shut its own Videos API down on 2026-09-24; this plugin serves any endpoint that still
speaks it (``OPENAI_BASE_URL``).
"""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec
from reelgate.pricing import per_second

PRICE_SOURCE = "OpenAI API price list, openai.com/api/pricing (the Videos API, retired 2026-09-24)"

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETIRED_ON = "2026-09-24"

PROVIDER = ProviderSpec(
    name="openai",
    lost_submission_proof="the list of videos, matched on the request",
    settings=(
        SettingSpec(name="api_key", env="OPENAI_API_KEY", secret=True),
        SettingSpec(name="base_url", env="OPENAI_BASE_URL", default=DEFAULT_BASE_URL),
        SettingSpec(
            name="model",
            env="REELGATE_SORA_MODEL",
            default="sora-2",
            description="the upstream model `sora-2` (and its aliases) is sent as",
        ),
        SettingSpec(
            name="lookup_seconds",
            env="REELGATE_SORA_LOOKUP_SECONDS",
            default="10",
            description="how long the list of videos is watched for the video of a create "
            "whose answer was lost before it counts as never made",
        ),
        SettingSpec(
            name="poll_interval_seconds",
            env="REELGATE_SORA_POLL_INTERVAL_SECONDS",
            default="1.0",
            description="wait between polls (at least 0.1 s)",
        ),
        SettingSpec(
            name="poll_timeout_seconds",
            env="REELGATE_SORA_POLL_TIMEOUT_SECONDS",
            default="1800",
            description="a job still running after this fails",
        ),
    ),
    configured_when=(("api_key",),),
    docs_url="https://platform.openai.com/docs/guides/video-generation",
)

SIZES: dict[tuple[str, str], str] = {
    ("16:9", "720p"): "1280x720",
    ("9:16", "720p"): "720x1280",
    ("16:9", "1080p"): "1920x1080",
    ("9:16", "1080p"): "1080x1920",
}
"""(aspect ratio, resolution) → Sora ``size``; ``provider_options.size`` may name any other."""

_KINDS = frozenset({JobKind.TEXT, JobKind.IMAGE, JobKind.EXTEND})
_DURATIONS = (4, 8, 12, 16, 20)
PROVIDER_OPTIONS = ("size",)
"""The names ``settings.video.provider_options`` may hold (checked at admission)."""

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="sora-2",
        provider=PROVIDER,
        provider_model="sora-2",
        aliases=("sora", "sora-1"),
        patterns=("sora*", "openai*"),
        capabilities=Capabilities(
            kinds=_KINDS,
            durations=_DURATIONS,
            aspect_ratios=("16:9", "9:16"),
            resolutions=("720p",),
            max_videos=1,
            provider_options=PROVIDER_OPTIONS,
            # A remix is billed as a new video of the seconds asked for.
            extension_billing="added_seconds",
        ),
        default_resolution="720p",
        description="Sora 2 (Videos API); extend = remix of a finished video",
        price=per_second({None: 0.10}, "2026-11-01", PRICE_SOURCE),
    ),
    ModelSpec(
        id="sora-2-pro",
        provider=PROVIDER,
        provider_model="sora-2-pro",
        capabilities=Capabilities(
            kinds=_KINDS,
            durations=_DURATIONS,
            aspect_ratios=("16:9", "9:16"),
            resolutions=("720p", "1080p"),
            max_videos=1,
            provider_options=PROVIDER_OPTIONS,
            # A remix is billed as a new video of the seconds asked for.
            extension_billing="added_seconds",
        ),
        default_resolution="720p",
        description="Sora 2 Pro; 720p or 1080p",
        price=per_second({None: 0.30}, "2026-11-01", PRICE_SOURCE),
    ),
)
