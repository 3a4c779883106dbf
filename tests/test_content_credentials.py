"""Content credentials (issue 30, part 2): with a certificate chain and key configured, every
stored video carries a C2PA manifest that ``c2pa``'s Reader validates against the test CA,
stating it is AI-generated, its model, provider, job id and prompt hash; an extension names its
source as an ingredient; a plugin's signer (a KMS) signs in place of the settings; a signing
failure stores the video unsigned and says so."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from litestar.testing import AsyncTestClient

from reelgate import hookimpl
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.signing import ContentSigner
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.content_credentials import IPTC_TRAINED_ALGORITHMIC_MEDIA
from reelgate_flows.flows import extend_video, generate_video

USAGE = {
    "content_commitment": False,
    "key_encipherment": False,
    "data_encipherment": False,
    "key_agreement": False,
    "encipher_only": False,
    "decipher_only": False,
}


def _certificate(
    subject: str, key: Any, issuer: x509.Name | None, issuer_key: Any, ca: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, subject),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "reelgate tests"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=ca, crl_sign=ca, **USAGE),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class Chain:
    """A test CA and a signer certificate it issued (ES256)."""

    def __init__(self) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        self.key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("reelgate test CA", ca_key, None, ca_key, ca=True)
        leaf = _certificate("reelgate signer", self.key, ca.subject, ca_key, ca=False)
        self.ca, self.chain = _pem(ca), _pem(leaf) + _pem(ca)
        self.key_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain()


@pytest.fixture
def signing(chain: Chain, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Chain:
    (tmp_path / "key.pem").write_bytes(chain.key_pem)  # a file's path, or the PEM itself
    monkeypatch.setenv("REELGATE_C2PA_CERT", chain.chain.decode())
    monkeypatch.setenv("REELGATE_C2PA_KEY", str(tmp_path / "key.pem"))
    return chain


def read_manifest(video: bytes, ca: bytes) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
    """The validation state (against ``ca`` as the trust anchor), the active manifest and the
    validation results."""
    settings = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": ca.decode()}}
    context = c2pa.ContextBuilder().with_settings(c2pa.Settings.from_json(json.dumps(settings)))
    with c2pa.Reader("video/mp4", io.BytesIO(video), None, context.build()) as reader:
        store = json.loads(reader.json())
        state, results = reader.get_validation_state(), reader.get_validation_results() or {}
    return state, store["manifests"][store["active_manifest"]], results


def assertion(manifest: dict[str, Any], label: str) -> dict[str, Any]:
    return next(a["data"] for a in manifest["assertions"] if a["label"] == label)


def local_request(prompt: str, **extra: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": "signed",
        "settings": {"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
        **extra,
    }


async def test_a_signed_video_reads_back_with_its_assertions(signing: Chain) -> None:
    prompt = "a lantern over a lake"
    envelope = await generate_video(GenerateRequest.model_validate(local_request(prompt)))
    data = envelope["data"]
    assert data["content_credentials"] == {"signed": True, "standard": "c2pa"}
    video = Path(data["video_url"].removeprefix("file://")).read_bytes()
    state, manifest, results = read_manifest(video, signing.ca)
    assert state == "Trusted", results
    assert not results["activeManifest"].get("failure"), results
    (created,) = assertion(manifest, "c2pa.actions.v2")["actions"]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == IPTC_TRAINED_ALGORITHMIC_MEDIA
    generation = assertion(manifest, "org.reelgate.generation")
    assert generation == {
        "model": "local",
        "provider": "local",
        "job_id": data["job_id"],
        "prompt_sha256": hashlib.sha256(prompt.encode()).hexdigest(),
    }, "the prompt itself is not recorded unless the operator opts in"

    extension = ExtendRequest.model_validate(
        {**local_request("the lantern drifts away"), "video_id": data["job_id"]}
    )
    extended = (await extend_video(extension))["data"]
    video = Path(extended["video_url"].removeprefix("file://")).read_bytes()
    state, manifest, results = read_manifest(video, signing.ca)
    assert state == "Trusted", results
    (source,) = manifest["ingredients"]
    assert source["relationship"] == "parentOf"


class KmsSigner:
    """A plugin whose key stays in its own hands (as a KMS would keep it)."""

    def __init__(self, chain: Chain) -> None:
        self.chain, self.calls = chain, 0

    def _sign(self, data: bytes) -> bytes:
        self.calls += 1
        return self.chain.key.sign(data, ec.ECDSA(hashes.SHA256()))

    @hookimpl
    def reelgate_content_signer(self) -> ContentSigner:
        return ContentSigner("es256", self.chain.chain, self._sign)


async def test_a_plugins_signer_signs_in_place_of_the_settings(
    chain: Chain, use_runtime: Any
) -> None:
    kms = KmsSigner(chain)
    use_runtime(("kms", kms))
    envelope = await generate_video(GenerateRequest.model_validate(local_request("a kite")))
    data = envelope["data"]
    assert data["content_credentials"]["signed"] is True and kms.calls >= 1
    video = Path(data["video_url"].removeprefix("file://")).read_bytes()
    assert read_manifest(video, chain.ca)[0] == "Trusted"


async def test_a_signing_failure_stores_the_video_unsigned_and_says_so(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Chain()  # a key that is not the certificate's
    monkeypatch.setenv("REELGATE_C2PA_CERT", chain.chain.decode())
    monkeypatch.setenv("REELGATE_C2PA_KEY", other.key_pem.decode())
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=local_request("a boat"))
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        said = data["content_credentials"]
        assert said["signed"] is False and said["error"], said
        video = (await client.get(data["video_url"])).content
        assert video[4:8] == b"ftyp", "the video is stored all the same"
        with pytest.raises(c2pa.C2paError):
            read_manifest(video, chain.ca)
        metrics = (await client.get("/metrics")).text
    assert 'reelgate_content_credentials_failures_total{provider="local"} 1.0' in metrics


async def test_unsigned_is_the_default() -> None:
    envelope = await generate_video(GenerateRequest.model_validate(local_request("a fox")))
    assert envelope["data"]["content_credentials"] is None
