"""What the Seedance plugin serves, as data: the ModelArk provider, its settings and three
models. Extension is by chaining: a task asks for its last frame (``return_last_frame``) and
the extension is a new task starting from that frame.

Prices: Seedance bills in video tokens (``reelgate.pricing`` token rates). BytePlus's own
per-token prices could not be confirmed (the official page was not captured; a third-party
tariff table, revision byteplus-2026-10-02, lists $7/M tokens for 2.0 at 480p/720p), so the
models declare none: their cost is unknown until an operator sets a token rate in
``REELGATE_PRICES_FILE`` (see the plugin's README)."""

from __future__ import annotations

from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec

SEEDANCE = ProviderSpec(
    name="seedance",
    lost_submission_proof="the task list, matched on prompt and seed",
    settings=(
        SettingSpec(name="api_key", env="ARK_API_KEY", secret=True),
        SettingSpec(
            name="base_url",
            env="ARK_BASE_URL",
            default="https://ark.ap-southeast.bytepluses.com/api/v3",
            description="the region's ModelArk API (keys are bound to a region)",
        ),
        SettingSpec(
            name="lookup_seconds",
            env="REELGATE_SEEDANCE_LOOKUP_SECONDS",
            default="10",
            description="how long the task list is read for the task of a create whose "
            "answer was lost",
        ),
        SettingSpec(
            name="timeout_seconds",
            env="REELGATE_SEEDANCE_TIMEOUT_SECONDS",
            default="60",
            description="how long an answer is waited for (a create past it is looked for)",
        ),
        SettingSpec(
            name="poll_seconds",
            env="REELGATE_SEEDANCE_POLL_SECONDS",
            default="5",
            description="pause between polls",
        ),
    ),
    configured_when=(("api_key",),),
)

RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
CHAINED = "extension by chaining: a new task from the source's last frame"


REFERENCES_2 = {"image": 9, "video": 3, "audio": 3}
"""Seedance 2.0's references (``reference_image``/``_video``/``_audio`` content parts,
WIRE-NEXT §1.2); the counts are those documented for the same parts of MiniMax H3 and for
Runway's seedance2 (ModelArk's own are UNCONFIRMED)."""
REFERENCE_ROLES_2 = {
    "image": ("reference_image",),
    "video": ("reference_video",),
    "audio": ("reference_audio",),
}


def _capabilities(durations: range, audio: bool, references: bool = False) -> Capabilities:
    return Capabilities(
        references=REFERENCES_2 if references else {},
        reference_roles=REFERENCE_ROLES_2 if references else {},
        kinds=frozenset({JobKind.TEXT, JobKind.IMAGE, JobKind.EXTEND}),
        durations=tuple(durations),
        aspect_ratios=RATIOS,
        resolutions=("480p", "720p", "1080p"),
        audio=audio,
        cancel=True,
        extension_billing="added_seconds",
    )


SEEDANCE_2 = ModelSpec(
    id="dreamina-seedance-2-0-260128",
    provider=SEEDANCE,
    provider_model="dreamina-seedance-2-0-260128",
    aliases=("seedance", "seedance-2", "seedance-2.0"),
    patterns=("seedance*", "dreamina-seedance*"),
    capabilities=_capabilities(range(4, 16), audio=True, references=True),
    default_resolution="720p",
    description=f"Seedance 2.0: 4-15 s, up to 1080p, with sound; {CHAINED}",
)
SEEDANCE_2_FAST = ModelSpec(
    id="dreamina-seedance-2-0-fast-260128",
    provider=SEEDANCE,
    provider_model="dreamina-seedance-2-0-fast-260128",
    aliases=("seedance-fast", "seedance-2-fast"),
    capabilities=_capabilities(range(4, 16), audio=True, references=True),
    default_resolution="720p",
    description=f"Seedance 2.0 fast: 4-15 s, with sound; {CHAINED}",
)
SEEDANCE_1_PRO = ModelSpec(
    id="seedance-1-0-pro-250528",
    provider=SEEDANCE,
    provider_model="seedance-1-0-pro-250528",
    aliases=("seedance-1", "seedance-1-pro"),
    capabilities=_capabilities(range(2, 13), audio=False),
    default_resolution="720p",
    description=f"Seedance 1.0 pro: 2-12 s, no sound; {CHAINED}",
)
MODELS = (SEEDANCE_2, SEEDANCE_2_FAST, SEEDANCE_1_PRO)
