"""XML Signatures: a request signed in our scheme by the registered key passes; anything else
fails with a code naming what failed. Keys and certificates are generated at run time."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.signer import XMLSigner

from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.service_requests import InstructDeployment
from chfw_api.duis import NS_DS, NS_SR, parse_request
from chfw_api.duis.codes import http_status
from chfw_api.duis.requests import map_request
from chfw_api.duis.signature import (
    CERTIFICATE_UNUSABLE,
    ECDSA_SHA256,
    ENVELOPED,
    EXC_C14N,
    KEY_NOT_REGISTERED,
    SHA256,
    SIGNATURE_INVALID,
    SIGNATURE_MISSING,
    SIGNATURE_SCHEME,
    SignatureRejected,
    is_signed,
    verify_request,
)
from chfw_api.duis.signer import make_signer, sign_document

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
INSTRUCTION = EXAMPLES / "sr-11.7-instruct-ch-firmware-deployment.xml"
DS = f"{{{NS_DS}}}"
SR = f"{{{NS_SR}}}"
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Credentials:
    key_pem: bytes
    cert_pem: bytes
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate


def _credentials(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    *,
    issuer: str = "U1",
    serial: int = 1234567890,
    valid_from: datetime = NOW - timedelta(days=1),
    valid_to: datetime = NOW + timedelta(days=365),
) -> Credentials:
    # Like DCC's test certificates: issuer "CN=U1, OU=07" (RFC 4514 lists RDNs last first).
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
            x509.NameAttribute(NameOID.COMMON_NAME, issuer),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Credentials(key_pem, cert.public_bytes(serialization.Encoding.PEM), key, cert)


@cache
def supplier() -> Credentials:
    return _credentials(ec.generate_private_key(ec.SECP256R1()))


@cache
def other() -> Credentials:
    return _credentials(ec.generate_private_key(ec.SECP256R1()), issuer="U2", serial=77)


@cache
def impostor() -> Credentials:
    """Another key claiming the supplier's issuer and serial."""
    return _credentials(ec.generate_private_key(ec.SECP256R1()))


@cache
def rsa_user() -> Credentials:
    return _credentials(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def signed(data: bytes | None = None, who: Credentials | None = None) -> bytes:
    who = who or supplier()
    return sign_document(data or INSTRUCTION.read_bytes(), who.key_pem, who.cert_pem)


def rejected(data: bytes | etree._Element, who: Credentials | None = None, **kw: object) -> str:
    with pytest.raises(SignatureRejected) as info:
        verify_request(data, (who or supplier()).cert_pem, **kw)  # type: ignore[arg-type]
    assert info.value.reason
    assert info.value.http_status == http_status(info.value.code)
    return info.value.code


def edited(data: bytes, change: Callable[[etree._Element], object]) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root)


# ------------------------------------------------------------------------------ the happy path


def test_a_request_signed_with_the_registered_key_passes() -> None:
    # covers: X2 -- the message is authenticated against the originator's registered certificate
    data = signed()
    root = parse_request(data)  # still valid against our schema, signature last
    verify_request(root, supplier().cert_pem)
    verify_request(data, supplier().cert_pem.decode())
    assert is_signed(root) and not is_signed(parse_request(INSTRUCTION.read_bytes()))
    command = map_request(root)  # the same tree that was verified is the one acted on
    assert isinstance(command, InstructDeployment) and command.dry_run


def test_signature_has_exactly_the_documented_shape() -> None:
    signature = etree.fromstring(signed())[-1]
    assert signature.tag == f"{DS}Signature"
    ns = {"ds": NS_DS}
    assert signature.xpath("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", namespaces=ns) == [
        EXC_C14N
    ]
    assert signature.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=ns) == [
        ECDSA_SHA256
    ]
    assert signature.xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=ns) == [""]
    assert signature.xpath(
        "ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm", namespaces=ns
    ) == [SHA256]
    (issuer_serial,) = signature.findall(f"{DS}KeyInfo/{DS}X509Data/{DS}X509IssuerSerial")
    assert issuer_serial.findtext(f"{DS}X509SerialNumber") == "1234567890"
    assert issuer_serial.findtext(f"{DS}X509IssuerName") == "CN=U1,OU=07"


def _dcc_tool_style(data: bytes, who: Credentials, issuer_text: str) -> bytes:
    """Sign as DCC's Java signing tool does, independently of signxml: only the enveloped
    transform (so the reference is canonicalised with inclusive C14N 1.0, the spec's
    default), exclusive C14N of SignedInfo, r||s signature value, issuer as text."""
    root = etree.fromstring(data)
    digest = base64.b64encode(
        hashlib.sha256(etree.tostring(root, method="c14n", exclusive=False)).digest()
    ).decode()
    signature = etree.fromstring(f"""<ds:Signature xmlns:ds="{NS_DS}"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/><ds:SignatureMethod Algorithm="{ECDSA_SHA256}"/>
<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"/></ds:Transforms>
<ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>
</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial>
<ds:X509IssuerName>{issuer_text}</ds:X509IssuerName>
<ds:X509SerialNumber>{who.cert.serial_number}</ds:X509SerialNumber>
</ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo></ds:Signature>""")
    root.append(signature)
    signed_info = signature[0]
    assert isinstance(who.key, ec.EllipticCurvePrivateKey)
    der = who.key.sign(
        etree.tostring(signed_info, method="c14n", exclusive=True),
        ec.ECDSA(hashes.SHA256()),
    )
    r, s = decode_dss_signature(der)
    signature[1].text = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    return etree.tostring(root)


def test_a_signature_made_like_dccs_signing_tool_verifies() -> None:
    # covers: X2 -- interoperates with the scheme DCC's own tool produces
    # Unused namespace declarations on the root, as in DCC's samples: inclusive and exclusive
    # C14N differ on them, so this proves the reference default is the spec's (C14N 1.0).
    text = INSTRUCTION.read_text().replace(
        "schemaVersion=", 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" schemaVersion=', 1
    )
    for issuer in ("CN=U1, OU=07", "CN=U1,OU=07", "cn=U1 ; OU = 07"):
        data = _dcc_tool_style(text.encode(), supplier(), issuer)
        verify_request(parse_request(data), supplier().cert_pem)
    tampered = _dcc_tool_style(text.encode(), supplier(), "CN=U1, OU=07").replace(b"A1<", b"A2<")
    assert rejected(tampered) == SIGNATURE_INVALID


def test_signed_responses_verify_too() -> None:
    signer = make_signer(other().key_pem, other().cert_pem)
    element = etree.fromstring(
        (EXAMPLES / "response-11.10-raise-ch-firmware-incident.xml").read_bytes()
    )
    verify_request(signer(element), other().cert_pem)


# -------------------------------------------------------------------------------- failures


def test_a_changed_body_or_header_fails_the_digest() -> None:
    # covers: X2, X3 -- a captured request cannot be replayed with a new counter either
    data = signed()
    assert rejected(data.replace(b"SafeLaunch", b"Pilot")) == SIGNATURE_INVALID
    assert rejected(data.replace(b":1717171717003<", b":1717171717999<")) == SIGNATURE_INVALID
    assert rejected(data.replace(b"-90-a3<", b"-90-a4<")) == SIGNATURE_INVALID


def test_another_users_certificate_or_key_fails() -> None:
    # covers: X2
    assert rejected(signed(), other()) == KEY_NOT_REGISTERED  # names someone else's cert
    assert rejected(signed(who=other())) == KEY_NOT_REGISTERED
    assert rejected(signed(who=impostor())) == SIGNATURE_INVALID  # same issuer/serial, wrong key


def test_a_missing_signature_fails_when_one_is_required() -> None:
    # covers: X2
    assert rejected(INSTRUCTION.read_bytes()) == SIGNATURE_MISSING
    assert rejected(parse_request(INSTRUCTION.read_bytes())) == SIGNATURE_MISSING


def test_rsa_signatures_are_not_the_scheme() -> None:
    # covers: X2
    signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256)
    root = etree.fromstring(INSTRUCTION.read_bytes())
    data = etree.tostring(
        signer.sign(root, key=rsa_user().key_pem, cert=rsa_user().cert_pem.decode())
    )
    assert rejected(data) == SIGNATURE_SCHEME
    assert rejected(signed(), rsa_user()) == CERTIFICATE_UNUSABLE  # registered cert is RSA


_SIGNED_INFO = f"{DS}SignedInfo"
_REFERENCE = f"{_SIGNED_INFO}/{DS}Reference"


@pytest.mark.parametrize(
    ("path", "algorithm"),
    [
        (
            f"{_SIGNED_INFO}/{DS}SignatureMethod",
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
        ),
        (
            f"{_SIGNED_INFO}/{DS}SignatureMethod",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        ),
        (f"{_REFERENCE}/{DS}DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1"),
        (f"{_SIGNED_INFO}/{DS}CanonicalizationMethod", "http://www.w3.org/2006/12/xml-c14n11"),
        (f"{_REFERENCE}/{DS}Transforms/{DS}Transform[2]", "http://www.w3.org/2006/12/xml-c14n11"),
    ],
)
def test_a_wrong_algorithm_is_named(path: str, algorithm: str) -> None:
    # covers: X2
    def swap(root: etree._Element) -> None:
        element = root[-1].find(path)
        assert element is not None
        element.set("Algorithm", algorithm)

    data = edited(signed(), swap)
    with pytest.raises(SignatureRejected) as info:
        verify_request(data, supplier().cert_pem)
    assert info.value.code == SIGNATURE_SCHEME
    assert algorithm in info.value.reason


def test_key_info_must_be_issuer_and_serial() -> None:
    # signxml's default embeds the certificate instead: not the scheme
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        c14n_algorithm=EXC_C14N,
    )
    root = etree.fromstring(INSTRUCTION.read_bytes())
    data = etree.tostring(
        signer.sign(root, key=supplier().key_pem, cert=supplier().cert_pem.decode())
    )
    assert rejected(data) == SIGNATURE_SCHEME


def test_the_registered_certificate_must_be_valid_when_checked() -> None:
    old = _credentials(
        supplier().key,
        valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        valid_to=datetime(2021, 1, 1, tzinfo=UTC),
    )
    data = signed(who=old)
    assert rejected(data, old) == CERTIFICATE_UNUSABLE
    verify_request(data, old.cert_pem, at=datetime(2020, 6, 1, tzinfo=UTC))
    verify_request(data, supplier().cert_pem)  # the same key, re-certified, is usable
    with pytest.raises(SignatureRejected) as info:
        verify_request(data, b"not a certificate")
    assert info.value.code == CERTIFICATE_UNUSABLE


# ------------------------------------------------------------------------- signature wrapping


def _move_signature_into_body(root: etree._Element) -> None:
    signature = root[-1]
    root.find(f"{SR}Body").append(signature)  # type: ignore[union-attr]


def _duplicate_signature(root: etree._Element) -> None:
    root.append(etree.fromstring(etree.tostring(root[-1])))


def _reference_by_id(root: etree._Element) -> None:
    root[-1].find(_REFERENCE).set("URI", "#body")  # type: ignore[union-attr]
    root.find(f"{SR}Body").set("Id", "body")  # type: ignore[union-attr]


def _second_reference(root: etree._Element) -> None:
    signed_info = root[-1].find(_SIGNED_INFO)
    assert signed_info is not None
    signed_info.append(etree.fromstring(etree.tostring(signed_info[-1])))


def _original_in_an_object(root: etree._Element) -> None:
    """The classic wrap: keep the signed original in ds:Object, put new content in its place."""
    signature = root[-1]
    original = etree.fromstring(etree.tostring(root))
    original.remove(original[-1])
    etree.SubElement(signature, f"{DS}Object").append(original)
    root.find(f".//{SR}Stage").text = "Pilot"  # type: ignore[union-attr]


def _signature_first(root: etree._Element) -> None:
    root.insert(0, root[-1])


@pytest.mark.parametrize(
    "attack",
    [
        _move_signature_into_body,
        _duplicate_signature,
        _reference_by_id,
        _second_reference,
        _original_in_an_object,
        _signature_first,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_signature_wrapping_is_refused(attack: Callable[[etree._Element], None]) -> None:
    # covers: X2
    assert rejected(edited(signed(), attack)) == SIGNATURE_SCHEME


def test_a_valid_signature_on_another_document_does_not_carry_over() -> None:
    # covers: X2 -- the signature covers the whole document actually parsed (URI="")
    donor = etree.fromstring(signed())
    target = etree.fromstring(INSTRUCTION.read_bytes().replace(b"CH-2025-001", b"CH-2025-666"))
    target.append(donor[-1])
    assert rejected(etree.tostring(target)) == SIGNATURE_INVALID


# ------------------------------------------------------------------------------ the signer


def test_the_signer_refuses_keys_outside_the_scheme() -> None:
    with pytest.raises(ValueError, match="P-256"):
        make_signer(rsa_user().key_pem, rsa_user().cert_pem)
    with pytest.raises(ValueError, match="does not belong"):
        make_signer(supplier().key_pem, other().cert_pem)
    with pytest.raises(ValueError, match="already signed"):
        signed(signed())


def test_a_50000_guid_instruction_signs_and_verifies_in_well_under_a_second() -> None:
    # covers: BR3.7
    listed = "".join(f"<sr:DeviceID>{guid_from_int(i)}</sr:DeviceID>" for i in range(50_000))
    text = INSTRUCTION.read_text()
    start, end = text.index("<sr:DeviceIDList>"), text.index("</sr:DeviceIDList>")
    data = signed((text[: start + len("<sr:DeviceIDList>")] + listed + text[end:]).encode())
    root = parse_request(data)
    began = time.perf_counter()
    verify_request(root, supplier().cert_pem)
    took = time.perf_counter() - began
    assert took < 1.5, f"verifying took {took * 1000:.0f} ms"


# ------------------------------------------------------------ signxml as an independent oracle

_TAMPERS = ("none", "guid", "whitespace inside", "tail after signature", "attribute", "stage")


def _signxml_accepts(data: bytes, who: Credentials) -> bool:
    """What signxml's verifier (which verified requests before #12.5) says, configured as
    ours was: one reference, ECDSA-SHA256, SHA-256, inclusive C14N 1.0 as the default."""
    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm
    from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput
    from signxml.exceptions import InvalidSignature as SignxmlInvalid
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    try:
        XMLVerifier().verify(data, x509_cert=who.cert, expect_config=config)
    except (InvalidDigest, SignxmlInvalid, InvalidCertificate, InvalidInput):
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dcc_style=st.booleans(),
    root_text=st.sampled_from([None, "\n", "\n  "]),
    between=st.sampled_from([None, "\n", "\n    ", " "]),
    moved_tail=st.booleans(),
    tamper=st.sampled_from(_TAMPERS),
    extra_ns=st.booleans(),
)
def test_our_verdict_is_signxmls_on_signed_and_tampered_requests(
    dcc_style: bool,
    root_text: str | None,
    between: str | None,
    moved_tail: bool,
    tamper: str,
    extra_ns: bool,
) -> None:
    # covers: X2 -- verification on the request's own tree gives the library's verdict
    text = INSTRUCTION.read_text()
    if extra_ns:  # unused declarations: inclusive and exclusive C14N differ on them
        text = text.replace("schemaVersion=", 'xmlns:xsi="http://www.w3.org/2001/'
                            'XMLSchema-instance" schemaVersion=', 1)  # fmt: skip
    root = etree.fromstring(text.encode())
    root.text = root_text
    for element in root.iter():
        if element is not root:
            element.tail = between
    unsigned = etree.tostring(root)
    who = supplier()
    data = _dcc_tool_style(unsigned, who, "CN=U1, OU=07") if dcc_style else signed(unsigned)
    signed_root = etree.fromstring(data)
    signature = signed_root[-1]
    if moved_tail and between:  # the text before the signature, after it instead: same digest
        signature.getprevious().tail, signature.tail = None, between  # type: ignore[union-attr]
    if tamper == "tail after signature":
        signature.tail = (signature.tail or "") + " "
    elif tamper == "whitespace inside":
        signed_root[0].text = (signed_root[0].text or "") + " "
    elif tamper == "attribute":
        signed_root.set("extra", "1")
    data = etree.tostring(signed_root)
    if tamper == "guid":
        data = data.replace(b"A1<", b"A2<", 1)
    elif tamper == "stage":
        data = data.replace(b"SafeLaunch", b"Pilot", 1)
    expected = _signxml_accepts(data, who)
    try:
        verify_request(etree.fromstring(data), who.cert_pem)
        ours = True
    except SignatureRejected as exc:
        assert exc.code == SIGNATURE_INVALID, exc.reason
        ours = False
    assert ours == expected
    assert ours == (tamper == "none" or (tamper == "guid" and b"A1<" not in unsigned))


@pytest.mark.parametrize(
    ("element", "code"),
    [
        ("SignatureValue", SIGNATURE_SCHEME),
        ("DigestValue", SIGNATURE_INVALID),  # inside SignedInfo: the signature fails first
    ],
)
def test_a_value_that_is_not_base64_is_named_not_a_server_error(element: str, code: str) -> None:
    # covers: X5
    def garble(root: etree._Element) -> None:
        (found,) = root.iter(f"{DS}{element}")
        found.text = "A"  # one base64 character: incorrect padding

    assert rejected(edited(signed(), garble)) == code
