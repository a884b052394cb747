"""The tests' own certificate authority, so the fixture server can stand in for HTTPS hosts.

Scrapy, like a browser behind an HTTPS proxy, opens a CONNECT tunnel and speaks TLS through it,
verifying the certificate the fixture server shows there: chain and host name. The fixture
server's certificates are signed by a CA made in memory once per test session (`fixture_ca()`),
which every test crawl is given the way a user gives a corporate proxy's CA: in `SSL_CERT_FILE`
(`ca_file()`), or as a hashed folder in `SSL_CERT_DIR` (`ca_dir()`). A leaf from another CA, a
self-signed one, or one for other names (`leaf_context(...)`) is what a machine in the middle
would show.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import crypto

# Every host the fixtures stand in for.
HOSTS = (
    "zhihu.com",
    "*.zhihu.com",
    "*.zhimg.com",
    "*.vzuu.com",
    "rsshub.app",
    "example.org",
    "*.example.org",
)
_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Authority:
    """A CA: its key and its self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey):
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + _DAY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def authority(common_name: str) -> Authority:
    """A new CA, trusted by nobody until its certificate is given to someone."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    cert = (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(key, cert)


def leaf(
    hosts: tuple[str, ...], issuer: Authority | None, named: bool = True
) -> tuple[x509.Certificate, bytes]:
    """A server certificate for `hosts` signed by `issuer` (None: by itself), and its key.
    `named` False: the first host in its subject's common name only, no subjectAltName (as
    certificates were before 2017)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(hosts[0].lstrip("*."))
    builder = (
        _builder(subject, issuer.cert.subject if issuer else subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if named:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False
        )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert, pem


@cache
def fixture_ca() -> Authority:
    """The session's CA, which signs the fixture server's certificate."""
    return authority("Zhihu archiver test CA")


@cache
def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="fixture-tls-"))


@cache
def ca_file() -> Path:
    """The test CA's certificate (PEM): the SSL_CERT_FILE of every test crawl."""
    path = _folder() / "test-ca.pem"
    path.write_bytes(fixture_ca().pem())
    return path


@cache
def ca_dir() -> Path:
    """A folder holding the test CA as OpenSSL looks it up in SSL_CERT_DIR (`<hash>.0`)."""
    folder = _folder() / "certs"
    folder.mkdir()
    subject_hash = crypto.X509.from_cryptography(fixture_ca().cert).subject_name_hash()
    (folder / f"{subject_hash:08x}.0").write_bytes(fixture_ca().pem())
    return folder


@cache
def server_context() -> ssl.SSLContext:
    """The fixture server's TLS: a leaf for every host of HOSTS, signed by the test CA."""
    return leaf_context(HOSTS, fixture_ca())


def leaf_context(
    hosts: tuple[str, ...], issuer: Authority | None, named: bool = True
) -> ssl.SSLContext:
    """A TLS server context showing a leaf for `hosts` signed by `issuer` (None: self-signed);
    `named`: as `leaf`."""
    cert, key = leaf(hosts, issuer, named)
    folder = Path(tempfile.mkdtemp(prefix="leaf-", dir=_folder()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
