"""The envelope of a DCC Alert: who gets it, under which ID, when; and the alert a use case
owes before the outbox gives it that ID.

Kept apart from the messages (`domain.alerts`) because these are made once per alert, 50,000
at a time for per-hub alerts, so their checks are the cheap ones: parties' User IDs and codes are
checked once each (cached), the alert ID by one pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from chfw_api.domain.identifiers import CANONICAL_EUI64_PATTERN, EUI64_PATTERN

if TYPE_CHECKING:
    from chfw_api.domain.alerts import AlertMessage

UPPER_EUI64 = re.compile(CANONICAL_EUI64_PATTERN)
# DUIS ResponseIDType: originator EUI-64 : target EUI-64 : counter (0 to 2^64-1).
_ALERT_ID = re.compile(rf"({EUI64_PATTERN}):({EUI64_PATTERN}):(0|[1-9][0-9]{{0,19}})")
_MAX_COUNTER = 2**64 - 1


def make_alert_id(originator: str, recipient: str, counter: int) -> str:
    """The DUIS-shaped alert ID `originator:recipient:counter` (e.g. the DCC User ID first).

    The same ID is the alert's `ResponseID` and its webhook `webhook-id`, on every retry.
    """
    if not 0 <= counter <= _MAX_COUNTER:
        raise ValueError(f"alert counter {counter} is outside 0 to 2^64-1")
    return f"{_user_id('originator', originator)}:{_user_id('recipient', recipient)}:{counter}"


@cache
def _is_alert_code(code: str) -> bool:
    return re.fullmatch(r"AD1|N[0-9]{1,3}", code) is not None


@cache
def _is_upper_eui64(value: str) -> bool:
    return UPPER_EUI64.fullmatch(value) is not None


@cache
def _user_id(what: str, value: str) -> str:
    """Checked once per party, not once per alert: a 50,000-hub upload has a handful."""
    if UPPER_EUI64.fullmatch(value.upper()) is None:
        raise ValueError(f"alert {what} {value!r} is not an EUI-64 User ID")
    return value.upper()


@dataclass(frozen=True, slots=True)
class AlertEnvelope:
    """One alert to one recipient: what the outbox stores and the adapter renders.

    `code` is the code actually sent, normally `message.code`; the service passes its configured
    N63 code here. `request_id` links an alert to the Service Request that caused it (N80, N83).
    """

    alert_id: str
    code: str
    recipient: str
    created_at: datetime
    message: AlertMessage
    request_id: str | None = None

    def __post_init__(self) -> None:
        match = _ALERT_ID.fullmatch(self.alert_id)
        if match is None or int(match.group(3)) > _MAX_COUNTER:
            raise ValueError(
                f"alert_id {self.alert_id!r} is not originator:recipient:counter "
                "(two EUI-64 User IDs and a counter 0 to 2^64-1)"
            )
        if not _is_alert_code(self.code):
            raise ValueError(f"alert code {self.code!r} is not a DCC Alert code such as N70")
        if not _is_upper_eui64(self.recipient):
            raise ValueError(f"recipient {self.recipient!r} is not an upper-case EUI-64 User ID")
        require_aware("created_at", self.created_at)

    @classmethod
    def of(
        cls,
        alert_id: str,
        recipient: str,
        created_at: datetime,
        message: AlertMessage,
        *,
        code: str | None = None,
        request_id: str | None = None,
    ) -> AlertEnvelope:
        """An envelope carrying the message's own code unless another is configured."""
        return cls(alert_id, code or message.code, recipient, created_at, message, request_id)


def require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


class PendingAlert(NamedTuple):
    """An alert a use case owes, before the outbox gives it an ID: the message, to whom, why.
    (A named tuple: a 50,000-hub upload makes one per hub and supplier.)"""

    recipient_party_id: int
    recipient: str  # the recipient's User ID
    message: AlertMessage
    campaign_id: str | None = None
    request_id: str | None = None
    code: str | None = None  # overrides message.code (the configurable N63)
