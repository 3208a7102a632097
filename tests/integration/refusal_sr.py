"""Hypothesis strategies for refused Service Requests (SR 11.5-11.10), by kind of refusal.

Each kind draws requests that must be refused for one reason (its `expect` codes name which),
sent by the world's suppliers against its real campaigns. Kinds common to every SR break the
envelope, the sender or the signature; the others break that SR's own rules.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import strategies as st

from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis.keys import generate_signing_identity
from chfw_api.duis.signer import sign_document
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC
from tests.integration.refusal_world import (
    SUPPLIER_D,
    SUPPLIER_E,
    World,
)

SRS = ("11.5", "11.6", "11.7", "11.8", "11.9", "11.10")
# Refused before the RequestID counter is consumed: the body cannot be read, the sender is not
# who the RequestID says or may not send, the signature fails, or the counter is a replay.
BEFORE_COUNTER = frozenset({f"E1100{n:02d}" for n in range(1, 17)} | {"E1", "E3", "E12", "HTTP"})
# E2 is both: a sender that is not a supplier (before), and a use case's Forbidden (after).
EITHER_SIDE = frozenset({"E2"})
_fresh = itertools.count(10**12)  # above every counter the world's set-up used


@dataclass(frozen=True)
class Attempt:
    """One request that must be refused."""

    headers: dict[str, str]
    body: bytes
    originator: str
    counter: int
    content_type: str = "application/xml"
    note: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    sr: str
    strategy: Callable[[World], st.SearchStrategy[Attempt]]
    expect: frozenset[str] = field(default_factory=frozenset)  # response codes; "HTTP" = no XML
    xfail: str = ""  # the finding whose fix this case waits for

    @property
    def id(self) -> str:
        return f"{self.sr}-{self.name}"


def envelope(
    body: str,
    sr_ref: str,
    *,
    originator: str = SUPPLIER_A,
    target: str = DCC_ID,
    counter: int | None = None,
    variant: str = "8",
    reference_variant: str | None = None,
    sequenced: str = "",
) -> tuple[bytes, int]:
    n = next(_fresh) if counter is None else counter
    data = (
        f'<sr:Request xmlns:sr="{sr.NS["sr"]}" schemaVersion="5.4"><sr:Header>'
        f"<sr:RequestID>{originator}:{target}:{n}</sr:RequestID>{sequenced}"
        f"<sr:CommandVariant>{variant}</sr:CommandVariant>"
        f"<sr:ServiceReference>{sr_ref}</sr:ServiceReference>"
        f"<sr:ServiceReferenceVariant>{reference_variant or sr_ref}</sr:ServiceReferenceVariant>"
        f"</sr:Header><sr:Body>{body}</sr:Body></sr:Request>"
    ).encode()
    return data, n


def _subset(guids: list[str], min_size: int = 1) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(guids), min_size=min_size, max_size=len(guids), unique=True)


def valid_body(w: World, sr_ref: str) -> st.SearchStrategy[str]:
    """A body the schema accepts for each SR, with the world's own campaigns and hubs."""
    p, lc = w.pilot, w.launch
    start = START + timedelta(days=61)
    bodies: dict[str, st.SearchStrategy[str]] = {
        "11.5": _subset(p.a_only[3:] + p.split_ab).map(lambda g: sr.pilot_list(p.campaign_id, g)),
        "11.6": _subset(p.a_only[:2]).map(
            lambda g: sr.schedule(p.campaign_id, start, start + timedelta(days=3), g)
        ),
        "11.7": st.integers(20, 100).map(
            lambda d: sr.instruction(
                p.campaign_id, START + timedelta(days=d), p.a_only[:2], stage="Pilot"
            )
        ),
        "11.8": st.sampled_from([None, p.campaign_id, lc.campaign_id]).map(sr.status),
        "11.9": st.just("<sr:ReadCHFirmwareDashboard></sr:ReadCHFirmwareDashboard>"),
        "11.10": _subset(lc.a_only[:2], 0).map(lambda g: sr.incident(lc.campaign_id, g)),
    }
    return bodies[sr_ref]


def _a(w: World) -> dict[str, str]:
    return w.keys[SUPPLIER_A]


def _sent(
    w: World, sr_ref: str, body: str, *, key: str = SUPPLIER_A, originator: str | None = None,
    **kw: str | int,
) -> Attempt:  # fmt: skip
    who = originator or key
    data, n = envelope(body, sr_ref, originator=who, **kw)  # type: ignore[arg-type]
    return Attempt(w.keys[key], data, who, n)


# ------------------------------------------------------------------ common to every SR


def wrong_originator(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    def make(w: World) -> st.SearchStrategy[Attempt]:
        others = st.sampled_from([SUPPLIER_B, SUPPLIER_ELEC, SUPPLIER_E]) | st.integers(
            2**40, 2**41
        ).map(guid_from_int)
        return st.builds(
            lambda body, who: _sent(w, sr_ref, body, originator=who), valid_body(w, sr_ref), others
        )

    return make


def not_a_supplier(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    def make(w: World) -> st.SearchStrategy[Attempt]:
        return st.builds(
            lambda body, key, own: _sent(w, sr_ref, body, key=key,
                                         originator=key if own and key == DCC_ID else SUPPLIER_A),
            valid_body(w, sr_ref), st.sampled_from([DCC_ID, "CSP-N", "CSP-C"]), st.booleans(),
        )  # fmt: skip

    return make


def suspended(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    def make(w: World) -> st.SearchStrategy[Attempt]:
        return valid_body(w, sr_ref).map(lambda body: _sent(w, sr_ref, body, key=SUPPLIER_D))

    return make


def no_key(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    def make(w: World) -> st.SearchStrategy[Attempt]:
        keys = st.sampled_from([{}, {"Authorization": "Bearer chfw_not-a-key"},
                                {"Authorization": "Basic YTpi"}])  # fmt: skip

        def build(body: str, headers: dict[str, str]) -> Attempt:
            data, n = envelope(body, sr_ref)
            return Attempt(headers, data, SUPPLIER_A, n)

        return st.builds(build, valid_body(w, sr_ref), keys)

    return make


def header_broken(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    """Wrong target, command variant, sequencing, or a header naming another SR."""

    def make(w: World) -> st.SearchStrategy[Attempt]:
        other_sr = st.sampled_from([s for s in SRS if s != sr_ref])
        breaks = st.one_of(
            st.integers(2**40, 2**41).map(lambda t: {"target": guid_from_int(t)}),
            st.sampled_from(["0", "1", "2", "3", "4", "5", "6", "7", "9", "17"]).map(
                lambda v: {"variant": v}
            ),
            st.sampled_from(
                [
                    "<sr:FirstInSequence>true</sr:FirstInSequence>",
                    "<sr:FirstInSequence>false</sr:FirstInSequence>",
                    f"<sr:PrecedingServiceRequestID>{SUPPLIER_A}:{DCC_ID}:5"
                    "</sr:PrecedingServiceRequestID>",
                ]
            ).map(lambda s: {"sequenced": s}),
            other_sr.map(lambda o: {"reference_variant": o}),
        )
        return st.builds(lambda body, kw: _sent(w, sr_ref, body, **kw), valid_body(w, sr_ref),
                         breaks)  # fmt: skip

    return make


def unreadable(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    """Cut short, not UTF-8, a DOCTYPE, nested too deep, too large, the wrong root or media."""

    def make(w: World) -> st.SearchStrategy[Attempt]:
        def build(body: str, how: str, cut: float, media: str) -> Attempt:
            data, n = envelope(body, sr_ref)
            if how == "truncated":
                data = data[: max(1, int(len(data) * cut))]
                data = data[: len(data) - 1] if data.endswith(b">") else data
            elif how == "latin1":
                data = data.replace(
                    b"</sr:Body>", "<!-- \u00e9 -->".encode("latin-1") + b"</sr:Body>"
                )
            elif how == "doctype":
                data = b'<!DOCTYPE r [<!ENTITY x "boom">]>' + data
            elif how == "deep":
                depth = 200 + int(cut * 5_000)
                data = data.replace(b"</sr:Body>", b"<x>" * depth + b"</x>" * depth + b"</sr:Body>")
            elif how == "huge":
                data = data.replace(b"</sr:Body>", b"<!--" + b"x" * 70_000 + b"--></sr:Body>")
            elif how == "root":
                data = data.replace(b"sr:Request", b"sr:Requests")
            elif how == "media":
                return Attempt(_a(w), data, SUPPLIER_A, n, content_type=media)
            return Attempt(_a(w), data, SUPPLIER_A, n, note=how)

        hows = st.sampled_from(["truncated", "latin1", "doctype", "deep", "huge", "root", "media"])
        media = st.sampled_from(["text/plain", "application/json", "", "multipart/form-data"])
        return st.builds(build, valid_body(w, sr_ref), hows, st.floats(0.0, 0.99), media)

    return make


def schema_violation(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    def make(w: World) -> st.SearchStrategy[Attempt]:
        junk = st.text(st.sampled_from("abcdefghijKLMNOPQRST0123456789"), min_size=1, max_size=8)

        def build(body: str, tag: str, where: int) -> Attempt:
            # An element the schema does not know, inside the SR's element or as a sibling.
            close = body.rfind("</") if where else len(body)
            broken = body[:close] + f"<sr:X{tag}>1</sr:X{tag}>" + body[close:]
            return _sent(w, sr_ref, broken)

        return st.builds(build, valid_body(w, sr_ref), junk, st.integers(0, 1))

    return make


def replayed(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    def make(w: World) -> st.SearchStrategy[Attempt]:
        @st.composite
        def draw(d: st.DrawFn) -> Attempt:
            last = w.counter(SUPPLIER_A)
            assert last > 0, "the world's supplier A has sent requests"
            return _sent(w, sr_ref, d(valid_body(w, sr_ref)), counter=d(st.integers(1, last)))

        return draw()

    return make


_other_identity = generate_signing_identity("B", serial=7001, now=START)


def bad_signature(sr_ref: str) -> Callable[[World], st.SearchStrategy[Attempt]]:
    """B must sign: unsigned, signed and then changed, signed by another key, or a signature
    outside the scheme."""

    def make(w: World) -> st.SearchStrategy[Attempt]:
        def build(body: str, how: str) -> Attempt:
            data, n = envelope(body, sr_ref, originator=SUPPLIER_B)
            if how == "tampered":
                # Signed, then the counter changed: the digest no longer matches.
                signed = sign_document(data, w.b_signing_key, w.b_certificate)
                data = signed.replace(f":{n}<".encode(), f":{n + 1}<".encode(), 1)
                n += 1
            elif how == "other_key":
                data = sign_document(data, *_other_identity)
            elif how == "scheme":
                signed = sign_document(data, w.b_signing_key, w.b_certificate)
                data = signed.replace(b"xml-exc-c14n#", b"xml-c14n-20010315#", 1)
            return Attempt(w.keys[SUPPLIER_B], data, SUPPLIER_B, n, note=how)

        hows = st.sampled_from(["unsigned", "tampered", "other_key", "scheme"])
        return st.builds(build, valid_body(w, sr_ref), hows)

    return make


COMMON: list[tuple[str, Callable[[str], Callable[[World], st.SearchStrategy[Attempt]]], set[str]]]
COMMON = [
    ("wrong-originator", wrong_originator, {"E1"}),
    ("not-a-supplier", not_a_supplier, {"E2"}),
    ("suspended", suspended, {"E3", "HTTP"}),
    ("no-key", no_key, {"HTTP"}),
    ("header", header_broken, {"E110010", "E12", "E110005", "E110007", "E110008"}),
    ("unreadable", unreadable, {"E110001", "E110002", "E110003", "E110004", "E110006", "HTTP"}),
    ("schema", schema_violation, {"E110005"}),
    ("replayed", replayed, {"E110011"}),
    ("signature", bad_signature, {"E110012", "E110013", "E110014", "E110015"}),
]


def _common_kinds() -> list[Kind]:
    return [
        Kind(name, sr_ref, make(sr_ref), frozenset(expect))
        for sr_ref in SRS
        for name, make, expect in COMMON
    ]


def _all_kinds() -> list[Kind]:
    from tests.integration.refusal_sr_rules import kinds

    return _common_kinds() + kinds()


SR_KINDS: list[Kind] = _all_kinds()
