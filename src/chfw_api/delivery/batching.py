"""Several stored alerts in one POST: the `sr:AlertBatch` wrapper, built from the stored bytes.

The outbox stores each alert's final XML, so a batch is those documents, less their XML
declarations, inside one `sr:AlertBatch` element: byte-for-byte the alerts a consumer would get
one at a time (an enveloped XML signature on each stays valid), and equal, after C14N, to what
`chfw_api.duis.alerts.render_batch` builds from the envelopes (a unit test holds them to it).

The batch's `webhook-id` is derived from its alerts' IDs, so a retry of the same alerts carries
the same ID. Consumers should still dedupe on each alert's `ResponseID`: after a partial failure
the same alert may come again in a differently composed batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chfw_api.duis.schema import NS_SR

_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"
_OPEN = _DECLARATION + f'<sr:AlertBatch xmlns:sr="{NS_SR}">'.encode()
_CLOSE = b"</sr:AlertBatch>"


def _without_declaration(document: bytes) -> bytes:
    if document.startswith(b"<?xml"):
        end = document.index(b"?>") + 2
        return document[end:].lstrip()
    return document


def batch_body(documents: Sequence[bytes]) -> bytes:
    """One `sr:AlertBatch` holding each alert document, in order."""
    if not documents:
        raise ValueError("an alert batch needs at least one alert")
    return _OPEN + b"".join(_without_declaration(d) for d in documents) + _CLOSE


def batch_id(alert_ids: Sequence[str]) -> str:
    """`batch_` + 32 hex digits of SHA-256 over the sorted alert IDs: stable for the same set."""
    digest = hashlib.sha256("\n".join(sorted(alert_ids)).encode()).hexdigest()
    return f"batch_{digest[:32]}"
