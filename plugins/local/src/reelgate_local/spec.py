"""The local provider's declarations: its settings and the models it serves."""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec
from reelgate.home import reelgate_home
from reelgate.pricing import per_second

PROVIDER = ProviderSpec(
    name="local",
    lost_submission_proof="its own store on this machine",
    settings=(
        SettingSpec(
            name="work_dir",
            env="REELGATE_LOCAL_DIR",
            default=str(reelgate_home() / "local-provider"),
            description="folder holding the local provider's jobs and rendered videos",
        ),
        SettingSpec(
            name="blocked_words",
            env="REELGATE_LOCAL_BLOCKED_WORDS",
            description="comma list of words whose prompts the local safety filter rejects",
        ),
        SettingSpec(
            name="render_workers",
            env="REELGATE_LOCAL_RENDER_WORKERS",
            default="1",
            description="renders run at once in one process",
        ),
    ),
)

LOCAL_MODEL = ModelSpec(
    id="local",
    provider=PROVIDER,
    provider_model="local-scene-1",
    aliases=("local-preview", "local-1"),
    patterns=("local*",),
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT, JobKind.IMAGE, JobKind.EXTEND}),
        durations=tuple(range(1, 31)),
        aspect_ratios=("16:9", "9:16", "1:1"),
        resolutions=("360p", "480p", "720p", "1080p"),
        fps=(12, 15, 24, 25, 30, 48, 50, 60),
        audio=True,
        max_videos=4,
        cancel=True,
    ),
    default_resolution="720p",
    default_fps=24,
    description="offline renderer (PyAV): an animated scene from the prompt, no network",
    price=per_second({None: 0.0}, "2026-11-01", "rendered on this machine: no charge"),
)
