"""What the Wan plugin serves, as data: the DashScope provider, its settings and three models.

Prices: no official 2026 international per-second price of wan2.6/2.7 could be confirmed (the
figures found, $0.10/s at 720p and $0.15/s at 1080p for wan2.6, are a third party's), so the
models declare none: their cost is unknown until an operator sets one in
``REELGATE_PRICES_FILE``."""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec

WAN = ProviderSpec(
    name="wan",
    lost_submission_proof="the task list, matched on prompt and seed",
    settings=(
        SettingSpec(name="api_key", env="DASHSCOPE_API_KEY", secret=True),
        SettingSpec(
            name="base_url",
            env="DASHSCOPE_BASE_URL",
            default="https://dashscope-intl.aliyuncs.com/api/v1",
            description="the region's API (model, key and URL must be of one region)",
        ),
        SettingSpec(
            name="lookup_seconds",
            env="REELGATE_WAN_LOOKUP_SECONDS",
            default="10",
            description="how long the task list is read for the task of a create whose "
            "answer was lost",
        ),
        SettingSpec(
            name="timeout_seconds",
            env="REELGATE_WAN_TIMEOUT_SECONDS",
            default="60",
            description="how long an answer is waited for (a create past it is looked for)",
        ),
        SettingSpec(
            name="poll_seconds",
            env="REELGATE_WAN_POLL_SECONDS",
            default="5",
            description="pause between polls (the task API allows 20 queries/s per account)",
        ),
    ),
    configured_when=(("api_key",),),
)

_SHAPES = {"aspect_ratios": ("16:9", "9:16", "1:1"), "resolutions": ("720p", "1080p")}

WAN_T2V = ModelSpec(
    id="wan2.6-t2v",
    provider=WAN,
    provider_model="wan2.6-t2v",
    aliases=("wan", "wan-t2v"),
    patterns=("wan*",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT}),
        durations=(5, 10, 15),
        audio=True,
        cancel=True,
        **_SHAPES,
    ),
    default_resolution="720p",
    description="Wan 2.6 text-to-video: 5, 10 or 15 s, 720p or 1080p, with sound",
)
WAN_I2V = ModelSpec(
    id="wan2.6-i2v",
    provider=WAN,
    provider_model="wan2.6-i2v",
    aliases=("wan-i2v",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.IMAGE}),
        durations=(5, 10, 15),
        audio=True,
        cancel=True,
        **_SHAPES,
    ),
    default_resolution="720p",
    description="Wan 2.6 image-to-video from a first frame",
)
WAN_27_I2V = ModelSpec(
    id="wan2.7-i2v",
    provider=WAN,
    provider_model="wan2.7-i2v",
    capabilities=Capabilities(
        kinds=frozenset({JobKind.IMAGE, JobKind.EXTEND}),
        durations=tuple(range(2, 16)),
        audio=True,
        cancel=True,
        extension_billing="added_seconds",
        **_SHAPES,
    ),
    default_resolution="720p",
    description="Wan 2.7 image-to-video; extends a Wan video natively (its first_clip)",
)
MODELS = (WAN_T2V, WAN_I2V, WAN_27_I2V)
