"""Content credentials (C2PA) on stored videos, signed with ``c2pa-python`` when the operator
configures a signer: ``REELGATE_C2PA_CERT`` and ``REELGATE_C2PA_KEY`` (PEM text or files), or
a plugin's ``reelgate_content_signer`` (a KMS). Unsigned is the default.

The manifest says the video is AI-generated (a ``c2pa.created`` action whose
``digitalSourceType`` is IPTC's ``trainedAlgorithmicMedia``, its software agent the model),
and records in ``org.reelgate.generation`` the model, the provider, reelgate's job id and the
SHA-256 of the prompt (the prompt itself only with ``REELGATE_C2PA_INCLUDE_PROMPT``). An
extension records its source video as its parent ingredient.

The spooled video is replaced by its signed copy before it is stored, so drain-spool stores
the signed one too. Signing never loses a video: when it fails, the video is stored unsigned
and the job says why (``data.content_credentials``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from reelgate.media import VideoInput
from reelgate.runtimes import get_runtime
from reelgate_flows.settings import Settings

IPTC_TRAINED_ALGORITHMIC_MEDIA = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
)
GENERATION_ASSERTION = "org.reelgate.generation"
logger = logging.getLogger("reelgate.flows")


@dataclass(frozen=True)
class Provenance:
    """What a video's manifest states: how it was made, and from what (``source``: the video
    an extension continues, when its bytes are known)."""

    model: str
    provider: str
    job_id: str
    prompt: str
    source: VideoInput | None = None


def configured(settings: Settings) -> bool:
    """Whether stored videos are signed: a certificate and key are set, or a plugin signs."""
    if settings.c2pa_cert and settings.c2pa_key:
        return True
    return get_runtime().plugin_manager.hook.reelgate_content_signer() is not None


def _pem(value: str) -> bytes:
    """PEM text, or the content of the PEM file ``value`` names."""
    return value.encode() if "-----BEGIN" in value else Path(value).read_bytes()


def _signer(settings: Settings) -> Any:
    import c2pa

    plugin = get_runtime().plugin_manager.hook.reelgate_content_signer()
    if plugin is not None:
        algorithm = getattr(c2pa.C2paSigningAlg, plugin.algorithm.upper())
        chain = plugin.certificate_chain.decode()
        return c2pa.Signer.from_callback(plugin.sign, algorithm, chain, plugin.timestamp_url)
    assert settings.c2pa_cert and settings.c2pa_key
    timestamp = settings.c2pa_timestamp_url.encode() if settings.c2pa_timestamp_url else None
    info = c2pa.C2paSignerInfo(
        settings.c2pa_algorithm.encode(),
        _pem(settings.c2pa_cert),
        _pem(settings.c2pa_key),
        timestamp,
    )
    return c2pa.Signer.from_info(info)


def manifest(provenance: Provenance, settings: Settings) -> dict[str, Any]:
    """The manifest definition of a video made as ``provenance`` says."""
    generation: dict[str, Any] = {
        "model": provenance.model,
        "provider": provenance.provider,
        "job_id": provenance.job_id,
        "prompt_sha256": hashlib.sha256(provenance.prompt.encode()).hexdigest(),
    }
    if settings.c2pa_include_prompt:
        generation["prompt"] = provenance.prompt
    created = {
        "action": "c2pa.created",
        "digitalSourceType": IPTC_TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": f"{provenance.model} ({provenance.provider})",
    }
    return {
        "claim_generator_info": [{"name": "reelgate", "version": _version()}],
        "title": f"{provenance.job_id}.mp4",
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [created]}},
            {"label": GENERATION_ASSERTION, "data": generation},
        ],
    }


def _version() -> str:
    try:
        return metadata.version("reelgate-flows")
    except metadata.PackageNotFoundError:
        return "unknown"


def signed_for(path: Path, job_id: str) -> bool:
    """Whether the video at ``path`` already carries this job's manifest (a resumed run)."""
    try:
        import c2pa

        with c2pa.Reader("video/mp4", io.BytesIO(path.read_bytes())) as reader:
            store = json.loads(reader.json())
    except Exception:
        return False
    active = store.get("manifests", {}).get(store.get("active_manifest"), {})
    return any(
        assertion.get("label") == GENERATION_ASSERTION
        and assertion.get("data", {}).get("job_id") == job_id
        for assertion in active.get("assertions", [])
    )


def sign_in_place(path: Path, provenance: Provenance, settings: Settings) -> dict[str, Any]:
    """Sign the spooled video at ``path`` (replaced by its signed copy); ``{"signed": true}``,
    or ``{"signed": false, "error": ...}`` with the video left as it was. Blocking: run it in
    a thread."""
    if signed_for(path, provenance.job_id):
        return {"signed": True, "standard": "c2pa"}
    partial = path.with_name(f"{path.name}.{os.getpid()}.signed")
    try:
        import c2pa

        with c2pa.Builder(manifest(provenance, settings)) as builder:
            source = provenance.source
            if source is not None and source.data:
                parent = {"title": "source video", "relationship": "parentOf"}
                builder.add_ingredient(parent, source.mime_type, io.BytesIO(source.data))
            with path.open("rb") as unsigned, partial.open("w+b") as signed:
                builder.sign(_signer(settings), "video/mp4", unsigned, signed)
        os.replace(partial, path)
    except Exception as exc:  # a signing failure never loses the video
        partial.unlink(missing_ok=True)
        reason = f"{type(exc).__name__}: {exc}".strip()
        logger.warning(
            "signing job %s's video failed; it is stored unsigned: %s", provenance.job_id, reason
        )
        return {"signed": False, "standard": "c2pa", "error": reason}
    return {"signed": True, "standard": "c2pa"}
