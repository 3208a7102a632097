"""Input types shared by the JSON API, each accepting exactly what its OpenAPI schema says.

A client, or a fuzzer, reads the published schema as the contract: a value that matches it
must get past validation, and one that does not must be refused (422). So every identifier
carries its pattern in the schema and the server checks that same pattern; a date-time is an
RFC 3339 string and nothing else (pydantic alone would also take `0.5` as a Unix time); and a
request body names its members exactly (`additionalProperties: false`), so a misspelt
optional member is refused rather than silently ignored.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    WithJsonSchema,
)

from chfw_api.domain.identifiers import EUI64_PATTERN, is_eui64

EUI64 = f"^{EUI64_PATTERN}$"
CSP_ID = r"^[A-Za-z0-9_-]{1,64}$"  # a User ID matches it too: the two share the party path
FEED_CURSOR = r"^[0-9]{1,18}$"  # an alert's id; 18 digits stay inside BIGINT
# Some character Python's str.strip() keeps: the domain refuses a blank reason, and spelling
# the whitespace out keeps Python's, Rust's and ECMA's regex engines in agreement.
NOT_BLANK = r"[^\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def _instant(value: Any) -> Any:
    """An RFC 3339 date-time string with its offset (JSON Schema's `date-time`), as sent."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("expected an RFC 3339 date-time with offset, e.g. 2026-07-01T09:00:00Z")
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise ValueError(f"{value!r} is not a real date and time") from None


def _user_id(value: str) -> str:
    if not is_eui64(value):
        raise ValueError(
            f"User ID {value!r} is not 8 hex pairs joined by hyphens (e.g. 90-B3-D5-1F-30-01-00-00)"
        )
    return value


def _csp_id(value: str) -> str:
    if re.fullmatch(CSP_ID, value, re.ASCII) is None:
        raise ValueError(f"CSP ID {value!r} must be 1-64 letters, digits, '-' or '_'")
    return value


UserId = Annotated[
    str,
    AfterValidator(_user_id),
    WithJsonSchema({"type": "string", "pattern": EUI64, "examples": ["90-B3-D5-1F-30-01-00-00"]}),
]
CspId = Annotated[
    str,
    AfterValidator(_csp_id),
    WithJsonSchema({"type": "string", "pattern": CSP_ID, "examples": ["CSP-N"]}),
]
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _integer(value: Any) -> Any:
    """JSON Schema's integer: 3 and 3.0 alike, never a string or a boolean."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# After the bounds: `Annotated[StrictInt, Field(ge=1, le=9), WHOLE]`. Bounds outside the validator
# would be published as a bare `ge` when the field is optional.
WHOLE = BeforeValidator(_integer)
Bool = StrictBool
Float = StrictFloat


class RequestBody(BaseModel):
    """A JSON request body: unknown members are refused, and its schema says so."""

    model_config = ConfigDict(extra="forbid")


def reason(description: str = "why: recorded in the audit trail") -> Any:
    """A reason the audit trail keeps: not blank, at most 2,000 characters."""
    return Field(min_length=1, max_length=2000, pattern=NOT_BLANK, description=description)


def rules(**fields: str) -> dict[str, Any]:
    """`x-chfw-rules`: what the operation checks beyond its JSON Schema, by the field a refusal
    names (`_` for a rule over several fields). A 422 to schema-valid input names only these."""
    return {"x-chfw-rules": {name.strip("_") or "*": rule for name, rule in fields.items()}}
