"""XML Signatures on Service Requests (and on DCC's alerts): one scheme, verified strictly.

The scheme (interface.md; what DCC's own signing tool produces): one enveloped `ds:Signature`,
the last child of the root; `Reference URI=""` (the whole document); transforms
enveloped-signature, optionally followed by exclusive C14N; SHA-256 digest; exclusive C14N of
SignedInfo; ECDSA-SHA256 on P-256; `KeyInfo/X509Data/X509IssuerSerial` naming the certificate,
whose key is the one registered for the RequestID's originator.

Why strict: anything the scheme does not need is a way to fool a verifier. A Reference to an ID
lets an attacker sign one element and slip another in beside it (signature wrapping); a second
signature, or one that is not the root's last child, invites checking the wrong one; `ds:Object`
carries unsigned content. So the structure is checked first, and each departure is named
(E110013). Then the digest and signature value are verified against the *registered*
certificate, never one the message carries, on the very tree the caller maps to a command.
That check is done here rather than by signxml (which still signs, `duis/signer.py`): its
verifier copies the whole tree several times, some 260 MB at the 300,000-GUID limit (#12.5);
the test suite keeps it as an independent oracle (`tests/unit/test_duis_signature.py`).

DCC's tool lists only the enveloped-signature transform; the XML Signature spec then
canonicalises the reference with inclusive C14N 1.0, so that is the default here too. Our signer
names exclusive C14N as a transform explicitly, which every verifier honours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from chfw_api.duis.codes import http_status
from chfw_api.duis.errors import XmlRejected
from chfw_api.duis.parser import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parse_xml
from chfw_api.duis.schema import NS_DS

SIGNATURE_MISSING = "E110012"
SIGNATURE_SCHEME = "E110013"
KEY_NOT_REGISTERED = "E110014"
SIGNATURE_INVALID = "E110015"
CERTIFICATE_UNUSABLE = "E110016"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_TRANSFORMS = ((ENVELOPED,), (ENVELOPED, EXC_C14N))


def _ds(name: str) -> str:
    return f"{{{NS_DS}}}{name}"


class SignatureRejected(XmlRejected):
    """The request's signature is missing, not in the scheme, or does not verify."""

    @property
    def http_status(self) -> int:
        return http_status(self.code)


def _scheme(reason: str) -> SignatureRejected:
    return SignatureRejected(SIGNATURE_SCHEME, f"signature not in the required scheme: {reason}")


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def _expect_children(element: etree._Element, *names: str) -> list[etree._Element]:
    found = _children(element)
    if [c.tag for c in found] != [_ds(n) for n in names]:
        got = ", ".join(etree.QName(c).localname for c in found) or "nothing"
        where = etree.QName(element).localname
        raise _scheme(f"ds:{where} must hold {', '.join(names)} (in ds:); it holds {got}")
    return found


def _algorithm(element: etree._Element, expected: str) -> None:
    found = element.get("Algorithm")
    if found != expected or _children(element):
        name = etree.QName(element).localname
        raise _scheme(f"{name} is {found!r}; expected {expected!r}")


def _the_signature(root: etree._Element) -> etree._Element:
    found = list(root.iter(_ds("Signature")))
    if not found:
        raise SignatureRejected(
            SIGNATURE_MISSING,
            "the request carries no ds:Signature, and this User's requests must be signed",
        )
    if len(found) > 1:
        raise _scheme(f"{len(found)} ds:Signature elements; exactly one is allowed")
    signature = found[0]
    if signature.getparent() is not root or _children(root)[-1] is not signature:
        raise _scheme("ds:Signature must be the last child of the root element")
    return signature


def _check_scheme(signature: etree._Element) -> tuple[str, int]:
    """The structure of the scheme, element by element; returns (issuer name, serial)."""
    signed_info, _value, key_info = _expect_children(
        signature, "SignedInfo", "SignatureValue", "KeyInfo"
    )
    c14n, method, reference = _expect_children(
        signed_info, "CanonicalizationMethod", "SignatureMethod", "Reference"
    )
    _algorithm(c14n, EXC_C14N)
    _algorithm(method, ECDSA_SHA256)
    if reference.get("URI") != "":
        raise _scheme(f'Reference URI is {reference.get("URI")!r}; it must be "" (the document)')
    transforms, digest_method, _digest = _expect_children(
        reference, "Transforms", "DigestMethod", "DigestValue"
    )
    steps = _children(transforms)
    algorithms = tuple(t.get("Algorithm") for t in steps)
    plain = all(t.tag == _ds("Transform") and not _children(t) for t in steps)
    if not plain or algorithms not in _TRANSFORMS:
        raise _scheme(
            f"Reference transforms are {list(algorithms)}; expected enveloped-signature, "
            "optionally followed by exclusive C14N"
        )
    _algorithm(digest_method, SHA256)
    (x509_data,) = _expect_children(key_info, "X509Data")
    (issuer_serial,) = _expect_children(x509_data, "X509IssuerSerial")
    issuer, serial = _expect_children(issuer_serial, "X509IssuerName", "X509SerialNumber")
    try:
        number = int((serial.text or "").strip())
    except ValueError:
        raise _scheme(f"X509SerialNumber {serial.text!r} is not a decimal integer") from None
    return (issuer.text or "").strip(), number


def _rdns(name: str) -> list[str]:
    """An RFC 2253/4514 name's components, spaces around separators dropped (Java writes
    'CN=U1,OU=07', DCC's samples 'CN=U1, OU=07'); escaped commas are kept."""
    parts, current, escaped = [], "", False
    for char in name:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char in ",;":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    cleaned = []
    for part in parts:
        kind, _, value = part.partition("=")
        cleaned.append(f"{kind.strip().upper()}={value.strip()}")
    return cleaned


def _same_issuer(text: str, certificate: x509.Certificate) -> bool:
    try:
        if x509.Name.from_rfc4514_string(",".join(_rdns(text))) == certificate.issuer:
            return True
    except ValueError:
        pass
    return _rdns(text) == _rdns(certificate.issuer.rfc4514_string())


def _load_certificate(certificate_pem: str | bytes) -> x509.Certificate:
    pem = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise SignatureRejected(
            CERTIFICATE_UNUSABLE, f"the registered certificate cannot be read: {exc}"
        ) from None
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SignatureRejected(
            CERTIFICATE_UNUSABLE, "the registered certificate's key is not ECDSA P-256"
        )
    return certificate


def certificate_problem(certificate_pem: str | bytes) -> str | None:
    """Why a certificate could never verify a request in our scheme (unreadable, or not an
    ECDSA P-256 key), or None. Asked when one is registered, so a bad one is refused then
    rather than found on every request after (E110016)."""
    try:
        _load_certificate(certificate_pem)
    except SignatureRejected as exc:
        return exc.reason
    return None


def is_signed(root: etree._Element) -> bool:
    """Whether the document carries any ds:Signature (to decide the policy: a User with a
    registered certificate must sign; `verify_request` then says whether the signature holds)."""
    return any(True for _ in root.iter(_ds("Signature")))


def kept_for_verification(root: etree._Element) -> etree._Element:
    """What `verify_request` needs of a parsed request: the whole tree if a ds:Signature is in
    it, else only a bare root element, on which it refuses alike (E110012). So an unsigned
    300,000-GUID request's tree (some 85 MB) is freed before the request runs."""
    if next(root.iter(_ds("Signature")), None) is not None:
        return root
    return etree.Element(root.tag)


def verify_request(
    data: bytes | etree._Element,
    certificate_pem: str | bytes,
    *,
    at: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> None:
    """Accept a document signed in our scheme by the holder of `certificate_pem`, or raise
    `SignatureRejected` naming what failed (E110012-E110016).

    Pass the element that `parse_request` returned and `map_request` read, so the document
    verified is the document acted on; bytes are parsed with the same hardened parser. The
    certificate must be valid at `at` (default: now, from the system clock).
    """
    if isinstance(data, etree._Element):
        root = data
    else:
        root = parse_xml(bytes(data), max_bytes=max_bytes, max_depth=max_depth)
    certificate = _load_certificate(certificate_pem)
    signature = _the_signature(root)
    issuer, serial = _check_scheme(signature)
    if serial != certificate.serial_number or not _same_issuer(issuer, certificate):
        raise SignatureRejected(
            KEY_NOT_REGISTERED,
            f"X509IssuerSerial names serial {serial} from {issuer!r}; this User's registered "
            f"certificate is serial {certificate.serial_number} from "
            f"{certificate.issuer.rfc4514_string()!r}",
        )
    _check_validity(certificate, at or datetime.now(UTC))
    try:
        _verify_signed_info(signature, certificate)
        _verify_digest(root, signature)
    except (ValueError, etree.LxmlError) as exc:  # base64 that is not, XML C14N refuses
        raise _scheme(str(exc) or type(exc).__name__) from None


def _check_validity(certificate: x509.Certificate, at: datetime) -> None:
    if at < certificate.not_valid_before_utc or at > certificate.not_valid_after_utc:
        raise SignatureRejected(
            CERTIFICATE_UNUSABLE,
            f"the registered certificate cannot be used: it is valid from "
            f"{certificate.not_valid_before_utc.isoformat()} to "
            f"{certificate.not_valid_after_utc.isoformat()}, not at {at.isoformat()}",
        )


def _verify_signed_info(signature: etree._Element, certificate: x509.Certificate) -> None:
    """The SignatureValue (XMLDSig's ECDSA form: r then s, 32 bytes each) over the exclusive
    canonical form of SignedInfo, with the registered certificate's P-256 key."""
    signed_info, value, _key_info = _children(signature)
    raw = base64.b64decode(value.text or "")
    if len(raw) != 64:
        raise SignatureRejected(
            SIGNATURE_INVALID, f"SignatureValue is {len(raw)} bytes; ECDSA P-256 gives 64"
        )
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)  # _load_certificate saw to it
    try:
        key.verify(der, canonical, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureRejected(
            SIGNATURE_INVALID,
            "the signature value does not verify with the registered certificate's key",
        ) from None


class _Digest:
    """A file-like sink for `write_c14n`: SHA-256 of whatever is written to it."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self._hash.update(data)

    def value(self) -> bytes:
        return self._hash.digest()


def _verify_digest(root: etree._Element, signature: etree._Element) -> None:
    """The Reference's SHA-256 digest over the document without its signature (enveloped),
    canonicalised as its transforms say: exclusive C14N if listed, else inclusive C14N 1.0.

    Computed on the very tree the request was mapped from, with the signature taken out for
    the moment and put back: a signature library copies the whole tree three or four times
    to do this (some 260 MB for a 300,000-GUID request); here the canonical form streams
    into the hash. The parser has already refused comments, processing instructions and
    entities, so the root element is the whole document."""
    signed_info = _children(signature)[0]
    reference = _children(signed_info)[2]
    transforms, _method, digest_value = _children(reference)
    exclusive = len(_children(transforms)) == 2  # enveloped-signature, exclusive C14N
    previous = signature.getprevious()
    previous_tail = previous.tail if previous is not None else None
    text, tail = root.text, signature.tail
    if tail is not None:  # the signature goes, the text after it stays (as XMLDSig says)
        if previous is not None:
            previous.tail = (previous_tail or "") + tail
        else:
            root.text = (text or "") + tail
    root.remove(signature)
    digest = _Digest()
    try:  # streamed into the hash as libxml2 writes it: the canonical form is never held
        document: Any = etree.ElementTree(root)  # lxml-stubs lacks write_c14n's keywords
        document.write_c14n(digest, exclusive=exclusive, with_comments=False)
    finally:
        if previous is not None:
            previous.tail = previous_tail
        root.text = text
        root.append(signature)
        signature.tail = tail
    if not hmac.compare_digest(digest.value(), base64.b64decode(digest_value.text or "")):
        raise SignatureRejected(
            SIGNATURE_INVALID,
            "digest mismatch: the document is not the one that was signed",
        )
