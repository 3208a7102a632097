"""Suppliers' back offices for the demo: loopback webhook endpoints that check every delivery.

Each supplier gets one endpoint (a `chfw_api.delivery.receiver.Receiver` on 127.0.0.1) that
verifies the Standard Webhooks signature of every request with the endpoint's secret,
independently of the sender's code: HMAC-SHA256 over `id.timestamp.body`, keyed with the
base64-decoded `whsec_` secret, compared in constant time against each `v1,` signature in the
header. A request that fails is answered 401 and counted. Alerts are counted once each by their
`ResponseID` (a retry or a re-batched alert is a duplicate, counted apart), per `DCCAlertCode`.

The timestamp is checked against the demo's shared clock: a signature dated in the future is
refused. Old timestamps are expected (the accelerated clock jumps days while alerts queue), so
their age is only recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from chfw_api.delivery.receiver import Received, Receiver, Reply
from chfw_api.domain.clock import Clock

_ID = b"<sr:ResponseID>"
_CODE = b"<sr:DCCAlertCode>"
_OK = Reply()
_UNAUTHORISED = Reply(status=401)
FUTURE_TOLERANCE_SECONDS = 300


_INSTRUCTION_ID = re.compile(rb"<sr:InstructionID>([^<]+)</sr:InstructionID>")


def alerts_in(body: bytes) -> list[tuple[bytes, bytes]]:
    """(ResponseID, DCCAlertCode) of each alert in a body: one alert or an `sr:AlertBatch`."""
    out = []
    start = 0
    while (i := body.find(_ID, start)) >= 0:
        j = body.find(b"<", i + len(_ID))
        k = body.find(_CODE, j)
        if k < 0:
            break
        m = body.find(b"<", k + len(_CODE))
        out.append((body[i + len(_ID) : j], body[k + len(_CODE) : m]))
        start = m
    return out


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: any `v1,` signature in `webhook-signature` matches."""
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not (msg_id and timestamp.isdigit() and given and secret.startswith("whsec_")):
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    return any(
        version == "v1" and hmac.compare_digest(value, expected)
        for version, _, value in (part.partition(",") for part in given.split())
    )


@dataclass
class BackOffice:
    """One supplier's webhook endpoint; `secret` is set once the endpoint is registered."""

    user_id: str
    name: str
    clock: Clock
    secret: str = ""
    requests: int = 0
    alerts: int = 0
    duplicates: int = 0
    bad_signatures: int = 0
    future_timestamps: int = 0
    max_age_seconds: float = 0.0
    by_code: Counter[str] = field(default_factory=Counter)
    by_second: Counter[int] = field(default_factory=Counter)  # real seconds since `started`
    started: float = field(default_factory=time.time)
    _seen: set[int] = field(default_factory=set)
    instructions: set[str] = field(default_factory=set)  # InstructionIDs its N80s named
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _receiver: Receiver | None = None

    def __enter__(self) -> BackOffice:
        self._receiver = Receiver(respond=self.respond, keep=False).__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._receiver is not None:
            self._receiver.__exit__(*exc)

    @property
    def url(self) -> str:
        assert self._receiver is not None, "start the back office first"
        return self._receiver.url(f"/dcc-alerts/{self.user_id}")

    def respond(self, request: Received) -> Reply:
        if not verify_signature(self.secret, request.headers, request.body):
            with self._lock:
                self.requests += 1
                self.bad_signatures += 1
            return _UNAUTHORISED
        signed_at = int(request.headers["webhook-timestamp"])
        age = self.clock.now().timestamp() - signed_at
        found = alerts_in(request.body)
        second = int(request.at - self.started)
        with self._lock:
            self.requests += 1
            if age < -FUTURE_TOLERANCE_SECONDS:
                self.future_timestamps += 1
                return _UNAUTHORISED
            self.max_age_seconds = max(self.max_age_seconds, age)
            for alert_id, code in found:
                h = hash(alert_id)
                if h in self._seen:
                    self.duplicates += 1
                    continue
                self._seen.add(h)
                self.alerts += 1
                self.by_code[code.decode()] += 1
            self.by_second[second] += len(found)
            if b"<sr:InstructionID>" in request.body:
                self.instructions.update(m.decode() for m in _INSTRUCTION_ID.findall(request.body))
        return _OK

    def snapshot(self) -> BackOfficeCounts:
        with self._lock:
            return BackOfficeCounts(
                user_id=self.user_id,
                name=self.name,
                requests=self.requests,
                alerts=self.alerts,
                duplicates=self.duplicates,
                bad_signatures=self.bad_signatures,
                future_timestamps=self.future_timestamps,
                max_age_seconds=self.max_age_seconds,
                by_code=dict(self.by_code),
            )


@dataclass(frozen=True)
class BackOfficeCounts:
    user_id: str
    name: str
    requests: int
    alerts: int
    duplicates: int
    bad_signatures: int
    future_timestamps: int
    max_age_seconds: float
    by_code: dict[str, int]
