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

from lxml import etree

from chfw_api.duis.parser import DEFAULT_MAX_DEPTH, parse_xml
from chfw_api.duis.signature import make_signer

BodySigner = Callable[[bytes], bytes]
"""One alert document (UTF-8 XML) in, the same document with its `ds:Signature` out."""


def make_body_signer(key_pem: str | bytes, cert_pem: str | bytes) -> BodySigner:
    """A body signer with the key and certificate loaded (and checked to be a P-256 pair) once.

    Raises `ValueError` if the key or certificate cannot be read or do not belong together.
    The returned function is safe to call from several threads at once.
    """
    sign = make_signer(key_pem, cert_pem, deterministic=True)

    def sign_body(body: bytes) -> bytes:
        # Our own stored alert, so no size limit (an N80 for a large instruction can exceed
        # the request limit); the rest of the hardening (no DTD, entities, network) stays.
        root = parse_xml(body, max_bytes=max(len(body), 1), max_depth=DEFAULT_MAX_DEPTH)
        return etree.tostring(sign(root), xml_declaration=True, encoding="UTF-8")

    return sign_body
