"""A CA per state dir and a serving certificate per cluster, so clients verify TLS exactly as
they would against a real cluster (no insecure-skip-tls-verify)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(k: ec.EllipticCurvePrivateKey) -> bytes:
    return k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_ca(state_dir: Path) -> tuple[Path, Path]:
    """Create (once) ca.crt/ca.key in the state dir and return their paths."""
    crt, key = state_dir / "ca.crt", state_dir / "ca.key"
    if crt.exists() and key.exists():
        return crt, key
    state_dir.mkdir(parents=True, exist_ok=True)
    k = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k2sim-ca")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
        .sign(k, hashes.SHA256())
    )
    key.write_bytes(_pem_key(k))
    key.chmod(0o600)
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return crt, key


def ensure_server_cert(state_dir: Path, cluster: str) -> tuple[Path, Path]:
    """Serving cert for 127.0.0.1/localhost signed by the state dir's CA."""
    d = state_dir / cluster
    crt, key = d / "apiserver.crt", d / "apiserver.key"
    if crt.exists() and key.exists():
        return crt, key
    d.mkdir(parents=True, exist_ok=True)
    ca_crt, ca_key = ensure_ca(state_dir)
    ca = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    cak = serialization.load_pem_private_key(ca_key.read_bytes(), None)
    k = _key()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"k2sim-{cluster}")]))
        .issuer_name(ca.subject)
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False
        )
        .sign(cak, hashes.SHA256())
    )
    key.write_bytes(_pem_key(k))
    key.chmod(0o600)
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return crt, key


def new_token(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(16)}"
