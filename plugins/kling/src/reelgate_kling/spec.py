"""KlingAI's declarations: settings (KLING_*), models and what each can do (WIRE.md §3.9)."""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec

DEFAULT_BASE_URL = "https://api-singapore.klingai.com"

PROVIDER = ProviderSpec(
    name="klingai",
    lost_submission_proof="its external_task_id (reelgate names the task)",
    settings=(
        SettingSpec(name="access_key", env="KLING_ACCESS_KEY", secret=True),
        SettingSpec(name="secret_key", env="KLING_SECRET_KEY", secret=True),
        SettingSpec(name="base_url", env="KLING_BASE_URL", default=DEFAULT_BASE_URL),
        SettingSpec(
            name="submit_timeout_seconds",
            env="REELGATE_KLING_SUBMIT_TIMEOUT_SECONDS",
            default="180",
            description="how long a submission's answer is awaited",
        ),
        SettingSpec(
            name="late_task_seconds",
            env="REELGATE_KLING_LATE_TASK_SECONDS",
            default="30",
            description="how long a submission whose answer timed out is looked for",
        ),
    ),
    configured_when=(("access_key", "secret_key"),),
    docs_url="https://app.klingai.com/global/dev/document-api",
)

_TEXT_IMAGE = frozenset({JobKind.TEXT, JobKind.IMAGE})
_ALL = frozenset({JobKind.TEXT, JobKind.IMAGE, JobKind.EXTEND})
_RATIOS = ("16:9", "9:16", "1:1")


PROVIDER_OPTIONS = ("mode", "cfg_scale", "image_tail", "camera_control", "watermark")
"""The names ``settings.video.provider_options`` may hold (checked at admission)."""


def _model(
    model_id: str,
    kinds: frozenset[JobKind],
    *,
    durations: tuple[int, ...] = (5, 10),
    resolutions: tuple[str, ...] = ("720p", "1080p"),
    audio: bool = False,
    aliases: tuple[str, ...] = (),
    patterns: tuple[str, ...] = (),
    description: str = "",
) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        provider=PROVIDER,
        provider_model=model_id,
        aliases=aliases,
        patterns=patterns,
        capabilities=Capabilities(
            kinds=kinds,
            durations=durations,
            aspect_ratios=_RATIOS,
            resolutions=resolutions,
            fps=None,
            audio=audio,
            max_videos=1,
            image_mime_types=("image/png", "image/jpeg"),
            provider_options=PROVIDER_OPTIONS,
            # Kling bills an extension by the seconds it adds (about 4.5 s a call).
            extension_billing="added_seconds",
        ),
        default_resolution=resolutions[0],
        description=description,
    )


MODELS: tuple[ModelSpec, ...] = (
    _model("kling-v1", _ALL, resolutions=("720p",), description="Kling 1.0; video extension"),
    _model("kling-v1-6", _ALL, description="Kling 1.6; std 720p / pro 1080p; extension"),
    _model("kling-v2-1-master", _TEXT_IMAGE, resolutions=("1080p",)),
    _model("kling-v2-5-turbo", _TEXT_IMAGE),
    _model(
        "kling-v2-6",
        _TEXT_IMAGE,
        audio=True,
        aliases=("kling",),
        patterns=("kling*",),
        description="Kling 2.6; pro adds sound",
    ),
    _model(
        "kling-v3",
        _TEXT_IMAGE,
        durations=tuple(range(3, 16)),
        audio=True,
        description="Kling 3.0; 3-15 s, sound",
    ),
)
