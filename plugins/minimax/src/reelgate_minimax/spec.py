"""What the MiniMax plugin serves, as data: the provider, its settings and the Hailuo models of
the v1 API.

Not served: the v2 API (MiniMax-H3), whose request and task schema beyond ``task_id`` and
``content.url`` is not confirmed (WIRE-NEXT.md, Appendix B); 512P and the last frame of
Hailuo-02, which reelgate's request has no field for yet.

Prices: MiniMax's own Hailuo prices could not be confirmed (the one figure found, $0.28 for a
6 s 768P video of Hailuo 2.3, is a third party's), so the models declare none; an operator sets
them in ``REELGATE_PRICES_FILE`` as ``usd_per_video`` rates by resolution and length."""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec

MINIMAX = ProviderSpec(
    name="minimax",
    settings=(
        SettingSpec(name="api_key", env="MINIMAX_API_KEY", secret=True),
        SettingSpec(
            name="base_url",
            env="MINIMAX_BASE_URL",
            default="https://api.minimax.io",
            description="the global API (https://api.minimaxi.com is China's, with its own keys)",
        ),
        SettingSpec(
            name="timeout_seconds",
            env="REELGATE_MINIMAX_TIMEOUT_SECONDS",
            default="60",
            description="how long an answer is waited for (a create past it is unclear, and "
            "never sent again)",
        ),
        SettingSpec(
            name="poll_seconds",
            env="REELGATE_MINIMAX_POLL_SECONDS",
            default="10",
            description="pause between polls of a task",
        ),
    ),
    configured_when=(("api_key",),),
    docs_url="https://platform.minimax.io/docs/guides/video-generation",
    support="the usage records of the MiniMax console (platform.minimax.io) or MiniMax support",
)

_DURATIONS = {
    "durations": (6, 10),
    "resolutions": ("768p", "1080p"),
    "durations_at_resolution": {"1080p": (6,)},
    "cancel": False,
}

HAILUO_23 = ModelSpec(
    id="MiniMax-Hailuo-2.3",
    provider=MINIMAX,
    provider_model="MiniMax-Hailuo-2.3",
    aliases=("hailuo", "hailuo-2.3", "minimax"),
    patterns=("minimax-hailuo*",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT, JobKind.IMAGE}), aspect_ratios=("16:9",), **_DURATIONS
    ),
    default_resolution="768p",
    description="MiniMax Hailuo 2.3: 6 or 10 s at 768P, 6 s at 1080P; text or a first frame",
)
HAILUO_23_FAST = ModelSpec(
    id="MiniMax-Hailuo-2.3-Fast",
    provider=MINIMAX,
    provider_model="MiniMax-Hailuo-2.3-Fast",
    aliases=("hailuo-fast",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.IMAGE}),
        aspect_ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
        **_DURATIONS,
    ),
    default_resolution="768p",
    description="MiniMax Hailuo 2.3 Fast: image-to-video only (the frame's shape is kept)",
)
HAILUO_02 = ModelSpec(
    id="MiniMax-Hailuo-02",
    provider=MINIMAX,
    provider_model="MiniMax-Hailuo-02",
    aliases=("hailuo-02",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT, JobKind.IMAGE}), aspect_ratios=("16:9",), **_DURATIONS
    ),
    default_resolution="768p",
    description="MiniMax Hailuo 02: 6 or 10 s at 768P, 6 s at 1080P; text or a first frame",
)
MODELS = (HAILUO_23, HAILUO_23_FAST, HAILUO_02)
