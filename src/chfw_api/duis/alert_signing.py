"""DCC's XML signature on alert bodies, as a `bytes -> bytes` hook for delivery and the feed.

The outbox stores each alert unsigned; when a DCC signing key is configured, `chfw worker` and
the pull feed pass each document through the signer this module makes, before the Standard
Webhooks signature is computed over the result. The scheme is the one Service Requests use
(`duis.signature`): enveloped, exclusive C14N, SHA-256, ECDSA-SHA256 on P-256, KeyInfo naming
the certificate by issuer and serial. Signatures are deterministic (RFC 6979), so a retry, a
replay or a re-read of the feed carries the same bytes as the first attempt.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from lxml import etree

from chfw_api.duis.parser import DEFAULT_MAX_DEPTH, parse_xml
from chfw_api.duis.signer import make_signer

BodySigner = Callable[[bytes], bytes]
"""One alert document (UTF-8 XML) in, the same document with its `ds:Signature` out."""


KEY_EXPECTED = "an unencrypted ECDSA P-256 private key (PKCS#8 or SEC1), PEM or DER"
CERT_EXPECTED = "an X.509 certificate, PEM or DER"


def _key_pem(data: bytes) -> bytes:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, None)
        else:
            key = serialization.load_der_private_key(data, None)
    except TypeError:  # a key protected by a passphrase
        raise ValueError(f"the key is encrypted; expected {KEY_EXPECTED}") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError(f"the key cannot be read; expected {KEY_EXPECTED}") from None
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(data: bytes) -> bytes:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
    except ValueError:
        raise ValueError(f"the certificate cannot be read; expected {CERT_EXPECTED}") from None
    return cert.public_bytes(serialization.Encoding.PEM)


def make_body_signer(key: str | bytes, cert: str | bytes) -> BodySigner:
    """A body signer with the key and certificate loaded (and checked to be a P-256 pair) once.

    Either may be PEM or DER (HSMs and `openssl ... -outform DER` write DER; operators need not
    convert). Raises `ValueError` with a one-line reason if the key or certificate cannot be
    read or they do not belong together. The returned function is safe to call from several
    threads at once.
    """

    def raw(data: str | bytes) -> bytes:
        return data.encode() if isinstance(data, str) else bytes(data)

    sign = make_signer(_key_pem(raw(key)), _cert_pem(raw(cert)), deterministic=True)

    def sign_body(body: bytes) -> bytes:
        # Our own stored alert, so no size limit (an N80 for a large instruction can exceed
        # the request limit); the rest of the hardening (no DTD, entities, network) stays.
        root = parse_xml(body, max_bytes=max(len(body), 1), max_depth=DEFAULT_MAX_DEPTH)
        return etree.tostring(sign(root), xml_declaration=True, encoding="UTF-8")

    return sign_body
