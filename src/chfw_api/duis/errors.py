"""Why an XML message was refused, as a DUIS-style response code plus a reason a person can act on.

These codes answer the question "could this body be read at all?", before any business rule
runs, so they are common to every SECMP0024 Service Request: they use the request-specific
DUIS pattern `E11NNxx` with NN = 00 ("any of 11.5 to 11.10"). A rejection changes nothing (X5).
"""

from __future__ import annotations

from dataclasses import dataclass

# E110001: not well-formed XML, empty, or not UTF-8.
NOT_WELL_FORMED = "E110001"
# E110002: a DOCTYPE, entity declaration or entity reference (XXE, billion laughs, external DTD).
FORBIDDEN_DTD = "E110002"
# E110003: the body is larger than the configured limit.
TOO_LARGE = "E110003"
# E110004: elements are nested deeper than the configured limit.
TOO_DEEP = "E110004"
# E110005: well-formed, but not valid against the chfw DUIS schema.
SCHEMA_INVALID = "E110005"
# E110021: the body names more GUIDs (DeviceID, ExcludeDeviceID) than one request may
# (CHFW_MAX_REQUEST_GUIDS, default 300,000); counted on the bytes before anything is parsed.
TOO_MANY_GUIDS = "E110021"
# E110006: valid XML of the wrong kind for the endpoint (e.g. an sr:Response where an
# sr:Request is expected, or another namespace).
WRONG_ROOT = "E110006"

CODES: dict[str, str] = {
    NOT_WELL_FORMED: "XML not well-formed, empty or not UTF-8",
    FORBIDDEN_DTD: "DOCTYPE, entity declaration or entity reference not allowed",
    TOO_LARGE: "message body larger than the limit",
    TOO_DEEP: "elements nested deeper than the limit",
    SCHEMA_INVALID: "message does not conform to the chfw DUIS schema",
    WRONG_ROOT: "root element is not the one this endpoint accepts",
    TOO_MANY_GUIDS: "more GUIDs named than one request may name",
}
"""Every code this adapter raises, with its meaning (for docs/response-codes.md)."""


@dataclass(frozen=True, slots=True)
class XmlProblem:
    """One thing wrong, where a parser or validator could say where it is."""

    message: str
    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class XmlRejected(Exception):
    """The body was refused before it could act on anything.

    `code` is the DUIS-style response code (see `CODES`), `reason` one sentence for the caller,
    and `problems` the individual findings (schema violations, say), first ones first.
    """

    def __init__(self, code: str, reason: str, problems: tuple[XmlProblem, ...] = ()) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.problems = problems

    @property
    def http_status(self) -> int:
        """413 for an oversize body, 400 otherwise: the transport-level view of the refusal."""
        return 413 if self.code == TOO_LARGE else 400
