"""Veo's declarations: settings, models and what they can do (WIRE.md §1.10).

Veo is served on Vertex AI only (google-genai 3.x dropped the Gemini Developer API path). It is
configured by ``GOOGLE_API_KEY`` (Vertex express mode) or by ``GOOGLE_CLOUD_PROJECT`` and
``GOOGLE_CLOUD_LOCATION`` with Application Default Credentials (or an explicit access token).
"""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec
from reelgate.pricing import per_second

PRICE_SOURCE = "Vertex AI price list, cloud.google.com/vertex-ai/generative-ai/pricing"

PROVIDER = ProviderSpec(
    name="gemini",
    lost_submission_proof="its output folder (a lost operation's video is under the job's prefix)",
    settings=(
        SettingSpec(
            name="api_key",
            env="GOOGLE_API_KEY",
            secret=True,
            description="Vertex AI express mode API key",
        ),
        SettingSpec(name="project", env="GOOGLE_CLOUD_PROJECT"),
        SettingSpec(name="location", env="GOOGLE_CLOUD_LOCATION"),
        SettingSpec(
            name="access_token",
            env="REELGATE_VEO_ACCESS_TOKEN",
            secret=True,
            description="OAuth access token used instead of Application Default "
            "Credentials in project mode",
        ),
        SettingSpec(
            name="base_url", env="REELGATE_VEO_BASE_URL", description="Vertex AI endpoint override"
        ),
        SettingSpec(
            name="vertex_base_url",
            env="GOOGLE_VERTEX_BASE_URL",
            description="google-genai's own endpoint override",
        ),
        SettingSpec(
            name="output_gcs_uri",
            env="REELGATE_VEO_OUTPUT_GCS_URI",
            description="gs://bucket/prefix/ for results (default: inline bytes); each "
            "submission writes under its own folder there",
        ),
        SettingSpec(
            name="reconcile_seconds",
            env="REELGATE_VEO_RECONCILE_SECONDS",
            default="600",
            description="how long an unclear submission's output folder is watched for its "
            "video before it counts as never accepted (GCS output mode)",
        ),
        SettingSpec(
            name="gcs_base_url",
            env="REELGATE_VEO_GCS_BASE_URL",
            default="https://storage.googleapis.com",
            description="Cloud Storage JSON API endpoint for gs:// results",
        ),
    ),
    configured_when=(("api_key",), ("project", "location")),
    docs_url="https://cloud.google.com/vertex-ai/generative-ai/docs/video/overview",
)

PROVIDER_OPTIONS = ("person_generation", "last_frame", "compression_quality", "labels")
"""The names ``settings.video.provider_options`` may hold (checked at admission)."""

_CAPABILITIES = Capabilities(
    kinds=frozenset({JobKind.TEXT, JobKind.IMAGE, JobKind.EXTEND}),
    durations=(4, 6, 8),
    aspect_ratios=("16:9", "9:16"),
    resolutions=("720p", "1080p"),
    fps=(24,),
    audio=True,
    max_videos=4,
    image_mime_types=("image/png", "image/jpeg", "image/webp"),
    durations_at_resolution={"1080p": (8,)},
    extend_resolutions=("720p",),
    # referenceImages: up to 3, ASSET only through google-genai, 8 s videos (WIRE.md §1)
    references={"image": 3},
    reference_roles={"image": ("asset",)},
    reference_durations=(8,),
    reference_aspect_ratios=("16:9",),  # Vertex 3.1: 9:16 is not for reference-image-to-video
    provider_options=PROVIDER_OPTIONS,
    # Vertex bills the seconds an extension generates (+7 s a call), not the source it returns.
    extension_billing="added_seconds",
)

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="veo-3.1-fast",
        provider=PROVIDER,
        provider_model="veo-3.1-fast-generate-001",
        aliases=("veo", "veo-fast"),
        patterns=("veo*", "gemini*"),
        capabilities=_CAPABILITIES,
        default_resolution="720p",
        default_fps=24,
        description="Veo 3.1 Fast on Vertex AI",
        price=per_second({"720p": 0.10, "1080p": 0.12}, "2026-11-01", PRICE_SOURCE),
    ),
    ModelSpec(
        id="veo-3.1",
        provider=PROVIDER,
        provider_model="veo-3.1-generate-001",
        capabilities=_CAPABILITIES,
        default_resolution="720p",
        default_fps=24,
        description="Veo 3.1 on Vertex AI",
        price=per_second({None: 0.40}, "2026-11-01", PRICE_SOURCE),
    ),
)
