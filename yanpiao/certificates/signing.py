"""The key that signs verification certificates, its self-issued X.509 certificate, and PAdES.

The key is ECDSA P-256; its certificate is self-issued (subject = issuer, not a CA, key usage
digital signature and non-repudiation, valid for 30 years), so whoever holds the certificate
alone can check a certificate PDF offline.  Keys come in generations: the newest signs,
every one stays trusted for checking, so a PDF signed before a rotation stays genuine after it.
:func:`rotate` adds a generation (``yanpiao certificate rotate``).

The generations live in ``YANPIAO_HOME/keys/certificate.json``: a JSON envelope around one
AES-256-GCM ciphertext under the master key (:func:`yanpiao.security.keys.master_aead`), whose
associated data names the file, so neither the private keys nor the list of trusted
certificates can be read or changed without the master key.  The first generation is created
when a certificate is first issued; checking never creates one.

:func:`sign` signs a PDF as a PAdES baseline signature (``ETSI.CAdES.detached``, SHA-256) in one
incremental update that also embeds what the certificate certifies as a JSON attachment;
:func:`verify` validates such a signature with pyHanko against given trust roots.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import datetime
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko.sign.validation import pdf_embedded
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from yanpiao.security import keys

FILE_NAME = "certificate.json"
FORMAT = "yanpiao certificate signing keys 1"
ASSOCIATED_DATA = b"yanpiao keys/certificate.json"
VALID_YEARS = 30
FIELD_NAME = "YanpiaoSignature"
MAX_PEM_BYTES = 1_000_000  # a file of public certificates given to `verify --public-key`
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")

# A damaged file or a signature by a key we do not trust is an answer (altered, forged), not a
# fault: pyHanko would log warnings, some with a traceback, on every such check.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.ERROR)


class KeyFileError(Exception):
    """``certificate.json`` cannot be read: a wrong master key, or a damaged or foreign file."""


class PublicKeyFileError(ValueError):
    """A file given as public certificates holds none that can be read."""


@dataclass(frozen=True)
class Generation:
    """One signing key and its certificate; ``number`` counts from 1, the newest signs."""

    number: int
    created_at: str
    private_key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), in hex: how people tell generations apart."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class Keyring:
    generations: tuple[Generation, ...]

    @property
    def newest(self) -> Generation:
        return self.generations[-1]

    @property
    def certificates(self) -> list[x509.Certificate]:
        return [g.certificate for g in self.generations]


# --- the key file ----------------------------------------------------------------------------


def path() -> Path:
    return keys.keys_dir() / FILE_NAME


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.stamp: tuple | None = None  # (keys.generation(), path, mtime_ns, size) of what is cached
        self.keyring: Keyring | None = None


_cache = _Cache()


def _stamp(file: Path) -> tuple | None:
    try:
        info = file.stat()
    except FileNotFoundError:
        return None
    return (keys.generation(), str(file), info.st_mtime_ns, info.st_size)


def keyring(create: bool = False) -> Keyring | None:
    """The generations of the signing key, re-read when the file changed (another process
    rotated it) or :func:`yanpiao.security.keys.forget` was called.  None when there is no key
    file yet, unless ``create``, which makes the first generation."""
    file = path()
    stamp = _stamp(file)
    if stamp is not None and stamp == _cache.stamp:
        return _cache.keyring
    if stamp is None and not create:
        return None
    with _cache.lock:
        if stamp is None:
            _create(file)
            stamp = _stamp(file)
        found = _read(file)
        _cache.stamp, _cache.keyring = stamp, found
        return found


def signing_generation() -> Generation:
    """The newest generation, which signs; created on first use."""
    return keyring(create=True).newest


def trusted_certificates() -> list[x509.Certificate]:
    """Every generation's certificate (none when no certificate was ever issued here)."""
    found = keyring()
    return found.certificates if found else []


def rotate() -> Generation:
    """Add a new generation and make it the one that signs; the earlier ones stay trusted."""
    file = path()
    with _cache.lock, _file_lock(file):
        current = _read(file).generations if file.exists() else ()
        fresh = _new_generation(len(current) + 1)
        _write(file, (*current, fresh))
        _cache.stamp = _cache.keyring = None
    return fresh


def public_pem() -> str:
    """The PEM of every trusted certificate, oldest first (empty when there is none yet)."""
    found = keyring()
    return "".join(g.certificate_pem for g in found.generations) if found else ""


def load_public_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates of a PEM file (as :func:`public_pem` prints); text around them is ignored."""
    if len(data) > MAX_PEM_BYTES:
        raise PublicKeyFileError(f"larger than {MAX_PEM_BYTES:,} bytes: not a file of public certificates")
    found = []
    for block in _PEM_BLOCK.findall(data):
        try:
            found.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            continue
    if not found:
        raise PublicKeyFileError("no PEM certificate (-----BEGIN CERTIFICATE-----) in it")
    return found


class _file_lock:
    """An exclusive lock beside the key file, so two processes never rotate at once."""

    def __init__(self, file: Path):
        self.lock_path = file.with_name(f".{file.name}.lock")

    def __enter__(self):
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.descriptor = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.descriptor, fcntl.LOCK_UN)
        os.close(self.descriptor)


def _create(file: Path) -> None:
    """Write the first generation unless another process just did."""
    with _file_lock(file):
        if not file.exists():
            _write(file, (_new_generation(1),))


def _new_generation(number: int) -> Generation:
    private_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"验票 Yanpiao verification certificates, key {number}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "验票 Yanpiao"),
        ]
    )
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))  # a little slack for clocks behind
        .not_valid_after(now + datetime.timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    return Generation(number, now.isoformat(), private_key, certificate)


def _write(file: Path, generations: tuple[Generation, ...]) -> None:
    inner = {
        "generations": [
            {
                "number": g.number,
                "created_at": g.created_at,
                "private_key": g.private_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
                "certificate": g.certificate_pem,
            }
            for g in generations
        ]
    }
    ciphertext = keys.master_aead().encrypt(json.dumps(inner).encode(), ASSOCIATED_DATA)
    envelope = {"format": FORMAT, "ciphertext": base64.b64encode(ciphertext).decode()}
    keys.write_private(file, (json.dumps(envelope, indent=1) + "\n").encode())


def _read(file: Path) -> Keyring:
    try:
        envelope = json.loads(file.read_bytes())
        if envelope.get("format") != FORMAT:
            raise ValueError(f"its format is not {FORMAT!r}")
        ciphertext = base64.b64decode(envelope["ciphertext"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileError(f"{file} is not a certificate key file ({exc})") from None
    try:
        inner = json.loads(keys.master_aead().decrypt(ciphertext, ASSOCIATED_DATA))
    except Exception as exc:  # tink.TinkError: the wrong master key or a damaged file
        raise KeyFileError(f"{file} does not open with the master key: {exc}") from None
    try:
        generations = tuple(
            Generation(
                number=entry["number"],
                created_at=entry["created_at"],
                private_key=serialization.load_pem_private_key(entry["private_key"].encode(), None),
                certificate=x509.load_pem_x509_certificate(entry["certificate"].encode()),
            )
            for entry in inner["generations"]
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KeyFileError(f"{file} holds a damaged key ({exc})") from None
    if not generations:
        raise KeyFileError(f"{file} holds no key")
    return Keyring(generations)


# --- signing and validating PDFs -------------------------------------------------------------


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def sign(pdf: bytes, attachment: bytes, attachment_name: str, description: str) -> bytes:
    """``pdf`` signed (PAdES) with the newest key, ``attachment`` embedded uncompressed in the
    same signed revision, so the signature covers the whole file, attachment included."""
    generation = signing_generation()
    certificate = _asn1_certificate(generation.certificate)
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            generation.private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=attachment_name,
            file_name=attachment_name,
            embedded_data=embed.EmbeddedFileObject.from_file_data(
                writer, attachment, compress=False, mime_type="application/json"
            ),
            description=description,
        ),
    )
    metadata = PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="验票 Yanpiao verification certificate",
        name="验票 Yanpiao",
    )
    out = io.BytesIO()
    signers.PdfSigner(metadata, signer=signer).sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass(frozen=True)
class Verdict:
    """What pyHanko found of one signature."""

    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature itself verifies
    trusted: bool  # the signer's certificate is one of the trust roots
    entire_file: bool  # the signature covers every byte of the file
    signer: str  # the signer certificate's subject
    signer_fingerprint: str
    signed_at: str | None  # the signing time the signer reported
    signer_key: bytes  # the signer's public key (SubjectPublicKeyInfo, DER)

    @property
    def genuine(self) -> bool:
        return self.intact and self.valid and self.trusted and self.entire_file


def verify(signature: EmbeddedPdfSignature, trust_roots: list[x509.Certificate]) -> Verdict:
    """Validate one embedded signature against ``trust_roots``; no network, no revocation look-up
    (a self-issued root has none)."""
    context = ValidationContext(trust_roots=[_asn1_certificate(c) for c in trust_roots], allow_fetching=False)
    status: PdfSignatureStatus = _run(
        pdf_embedded.async_validate_pdf_signature(
            signature, signer_validation_context=context, skip_diff=True
        )
    )
    signing_cert = status.signing_cert
    return Verdict(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        entire_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=signing_cert.subject.human_friendly if signing_cert is not None else "",
        signer_fingerprint=hashlib.sha256(signing_cert.dump()).hexdigest()
        if signing_cert is not None
        else "",
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        signer_key=signing_cert.public_key.dump() if signing_cert is not None else b"",
    )


class _Replay(signers.Signer):
    """A signer that "signs" with a signature value it was given: pyHanko's own packaging of
    given signed attributes and signature, to compare with what a file carries."""

    def __init__(self, certificate: asn1_x509.Certificate, signature: bytes):
        super().__init__(
            signing_cert=certificate, cert_registry=SimpleCertificateStore.from_certs([certificate])
        )
        self._signature = signature

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        return self._signature


def as_written(data: bytes, signature: EmbeddedPdfSignature, certificate: x509.Certificate) -> bool:
    """Whether the signature's ``/Contents``, the one part of the file no signature can cover, is
    byte for byte what :func:`sign` writes for its signed attributes and signature value with
    ``certificate``: ``<``, the CMS structure in upper-case hex, zeros, ``>``.

    A validator reads only some parts of the CMS structure and ignores what follows it, so a
    byte changed elsewhere in it, or in the zeros, would otherwise leave the signature valid."""
    signer_info = signature.signer_info
    if signer_info["digest_algorithm"]["algorithm"].native != "sha256":
        return False
    replay = _Replay(_asn1_certificate(certificate), signer_info["signature"].native)
    expected = _run(replay.async_sign_prescribed_attributes("sha256", signer_info["signed_attrs"])).dump()
    start, length, end, _ = (int(n) for n in signature.byte_range)
    gap = data[start + length : end]
    hex_digits = expected.hex().upper().encode()
    padding = len(gap) - 2 - len(hex_digits)
    return padding >= 0 and gap == b"<" + hex_digits + b"0" * padding + b">"


def public_key_der(certificate: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo, DER."""
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _run(coroutine):
    """Run a coroutine to its end, also from a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
