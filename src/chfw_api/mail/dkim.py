"""DKIM signing (RFC 6376) with `dkimpy`, over the headers a reader relies on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dkim

SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                  b"content-type")  # fmt: skip


@dataclass(frozen=True)
class DkimSigner:
    selector: str
    domain: str
    private_key_pem: bytes

    @classmethod
    def from_file(cls, path: Path, selector: str, domain: str) -> DkimSigner:
        return cls(selector, domain, path.read_bytes())

    def sign(self, message: bytes) -> bytes:
        """The message with its DKIM-Signature header first."""
        signature = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key_pem,
            include_headers=list(SIGNED_HEADERS),
        )
        return bytes(signature) + message
