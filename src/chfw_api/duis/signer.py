"""Signing documents in our XML Signature scheme (`duis/signature.py` says what it is and
verifies it): DCC's alerts, and the requests of the demo's suppliers, the tests and benches.
signxml builds the signature; the KeyInfo names the certificate by issuer and serial."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.signer import XMLSigner

from chfw_api.duis.parser import parse_xml
from chfw_api.duis.schema import NS_DS
from chfw_api.duis.signature import is_signed

Signer = Callable[[etree._Element], etree._Element]


def _ds(name: str) -> str:
    return f"{{{NS_DS}}}{name}"


def _check_key_pair(key: Any, certificate: x509.Certificate) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the signing key must be an ECDSA P-256 private key")
    if key.public_key() != certificate.public_key():
        raise ValueError("the signing key does not belong to the certificate")
    return key


class _DeterministicKey:
    """The key, its ECDSA signatures deterministic (RFC 6979): the same document always signs
    to the same bytes. Verifiers cannot tell the difference; signxml only calls `sign`."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._key, name)

    def sign(self, data: bytes, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        algorithm = ec.ECDSA(signature_algorithm.algorithm, deterministic_signing=True)
        return self._key.sign(data, algorithm)


def make_signer(
    key_pem: str | bytes, cert_pem: str | bytes, *, deterministic: bool = False
) -> Signer:
    """A signer for our scheme (e.g. DCC's alerts, `alerts.render_alert(signer=...)`), with
    the key and certificate loaded once. `deterministic` signs per RFC 6979, so signing the
    same document again gives the same bytes (a retried alert is byte-identical)."""
    certificate = x509.load_pem_x509_certificate(
        cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    )
    checked = _check_key_pair(
        load_pem_private_key(key_pem.encode() if isinstance(key_pem, str) else key_pem, None),
        certificate,
    )
    key: Any = _DeterministicKey(checked) if deterministic else checked
    issuer = certificate.issuer.rfc4514_string()
    serial = str(certificate.serial_number)

    def add_key_info(signature: etree._Element, **_: Any) -> None:
        x509_data = etree.SubElement(etree.SubElement(signature, _ds("KeyInfo")), _ds("X509Data"))
        issuer_serial = etree.SubElement(x509_data, _ds("X509IssuerSerial"))
        etree.SubElement(issuer_serial, _ds("X509IssuerName")).text = issuer
        etree.SubElement(issuer_serial, _ds("X509SerialNumber")).text = serial

    def sign(element: etree._Element) -> etree._Element:
        if is_signed(element):
            raise ValueError("the document is already signed")
        signer = XMLSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=SignatureMethod.ECDSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signer.signature_annotators = [add_key_info]
        signed: etree._Element = signer.sign(element, key=key)
        return signed

    return sign


def sign_document(
    document: bytes | etree._Element, key_pem: str | bytes, cert_pem: str | bytes
) -> bytes:
    """The document signed in our scheme, as UTF-8 XML with a declaration."""
    element = document if isinstance(document, etree._Element) else parse_xml(bytes(document))
    signed = make_signer(key_pem, cert_pem)(element)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
