"""What the plugin serves, as data: the provider, its settings, and its model."""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec
from reelgate.pricing import per_second

EXAMPLE = ProviderSpec(
    name="example",
    settings=(
        SettingSpec(name="api_key", env="EXAMPLE_API_KEY", secret=True),
        SettingSpec(
            name="base_url", env="EXAMPLE_BASE_URL", default="https://api.example-video.test"
        ),
    ),
    configured_when=(("api_key",),),
)

EXAMPLE_VIDEO = ModelSpec(
    id="example-video-1",
    provider=EXAMPLE,
    provider_model="video-1",
    aliases=("example",),
    patterns=("example*",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT}),
        durations=(4, 8),
        aspect_ratios=("16:9", "9:16"),
        cancel=True,
    ),
    description="Example Video's only model: text to video, 4 or 8 seconds",
    price=per_second({None: 0.05}, "2026-12-01", "https://api.example-video.test/pricing"),
)
