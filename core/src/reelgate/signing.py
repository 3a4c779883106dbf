"""Signers of content credentials (C2PA) that plugins provide: a KMS or an HSM holds the key,
reelgate hands it the bytes to sign (``reelgate_content_signer``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

SigningAlgorithm = Literal["es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519"]


@dataclass(frozen=True)
class ContentSigner:
    """``sign`` signs the bytes C2PA asks it to with the key of the first certificate of
    ``certificate_chain`` (PEM, the signer's certificate first, then its issuers), by
    ``algorithm``; ``timestamp_url`` is an RFC 3161 timestamp authority, if any."""

    algorithm: SigningAlgorithm
    certificate_chain: bytes
    sign: Callable[[bytes], bytes]
    timestamp_url: str | None = None
