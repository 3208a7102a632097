"""Hypothesis strategies for refused JSON API mutations: every POST, PUT, PATCH and DELETE.

Each operation lists who may call it, a real resource it acts on and a body it would take.
From those every operation gets the same refusals (no key, a suspended party's key, a party of
the wrong kind, an unknown resource, a body that is not what the schema says); its own rules
add the rest (a stage that forbids the command, someone else's endpoint, a lock-out, a CSV with
one bad row among good ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from chfw_api.domain.identifiers import guid_from_int
from tests.conftest import START
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B
from tests.integration.refusal_world import SUPPLIER_D, SUPPLIER_E, World

KIND_OF = {DCC_ID: "dcc", SUPPLIER_A: "supplier", SUPPLIER_B: "supplier", SUPPLIER_E: "supplier",
           "CSP-N": "csp", "CSP-C": "csp"}  # fmt: skip
NO_BODY = object()


@dataclass(frozen=True)
class Call:
    """One HTTP request that must be refused."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any = NO_BODY  # JSON, or bytes sent as `media`
    media: str = "application/json"
    note: str = ""


Params = Callable[[World], dict[str, str]]
Body = Callable[[World], Any]
Strategy = Callable[[World], st.SearchStrategy[Call]]


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    allowed: frozenset[str]  # party kinds that may call it
    owner: str  # the party that acts, when the request is otherwise right
    params: Params = lambda w: {}
    body: Body | None = None
    unknown: Mapping[str, st.SearchStrategy[str]] = field(default_factory=dict)
    media: str = "application/json"

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def url(self, params: Mapping[str, str]) -> str:
        return self.path.format(**params)

    def call(self, w: World, *, who: str | None = None, headers: dict[str, str] | None = None,
             params: Mapping[str, str] | None = None, body: Any = None, media: str | None = None,
             note: str = "") -> Call:  # fmt: skip
        content = self.body(w) if body is None and self.body is not None else body
        return Call(
            self.method,
            self.url({**self.params(w), **(params or {})}),
            w.keys[who or self.owner] if headers is None else headers,
            NO_BODY if content is None else content,
            self.media if media is None else media,
            note,
        )


@dataclass(frozen=True)
class JsonKind:
    name: str
    op: Op
    strategy: Strategy
    expect: frozenset[int]
    xfail: str = ""

    @property
    def id(self) -> str:
        return f"{self.op.method} {self.op.path} {self.name}"


# ----------------------------------------------------------------------- generic refusals


def _no_key(op: Op) -> Strategy:
    bad = st.sampled_from([{}, {"Authorization": "Bearer chfw_nope"}, {"Authorization": "x"}])
    return lambda w: bad.map(lambda h: op.call(w, headers=h))


def _suspended(op: Op) -> Strategy:
    return lambda w: st.just(op).map(lambda o: o.call(w, who=SUPPLIER_D))


def _wrong_role(op: Op) -> Strategy:
    others = sorted(code for code, kind in KIND_OF.items() if kind not in op.allowed)
    return lambda w: st.sampled_from(others).map(lambda who: op.call(w, who=who, note=who))


def _unknown_id(op: Op) -> Strategy:
    def make(w: World) -> st.SearchStrategy[Call]:
        name = st.sampled_from(sorted(op.unknown))
        return name.flatmap(
            lambda n: op.unknown[n].map(lambda v: op.call(w, params={n: v}, note=f"{n}={v}"))
        )

    return make


def _bad_body(op: Op) -> Strategy:
    """A body the schema refuses: a member of the wrong type, not an object, or not JSON."""

    def make(w: World) -> st.SearchStrategy[Call]:
        assert op.body is not None
        template = op.body(w)
        members = sorted(template) if isinstance(template, dict) else []
        junk = st.dictionaries(st.sampled_from(["a", "b", "x"]), st.integers() | st.text(),
                               max_size=2)  # fmt: skip
        wrong_member = st.builds(
            lambda k, v: op.call(w, body={**template, k: v}, note=f"{k} not its type"),
            st.sampled_from(members), junk,
        ) if members else st.nothing()  # fmt: skip
        not_object = st.sampled_from([[], [template], 7, "text", True]).map(
            lambda b: op.call(w, body=json.dumps(b).encode(), note="not an object")
        )
        raw = json.dumps(template).encode()
        cut = st.integers(1, max(1, len(raw) - 1)).map(
            lambda i: op.call(w, body=raw[:i], note="not JSON")
        )
        return wrong_member | not_object | cut

    return make


def _ints(lo: int = 10_000) -> st.SearchStrategy[str]:
    return st.integers(lo, 2**31 - 1).map(str)


def unknown_eui64() -> st.SearchStrategy[str]:
    return st.integers(2**40, 2**41).map(guid_from_int)


CAMPAIGN = {"campaign_id": st.integers(100_000, 999_999).map(lambda n: f"CMP-{n:06d}")}


def generic(op: Op) -> list[JsonKind]:
    f = frozenset
    out = [
        JsonKind("no-key", op, _no_key(op), f({401})),
        JsonKind("suspended-party", op, _suspended(op), f({401, 403})),
    ]
    if set(KIND_OF.values()) - op.allowed:
        out.append(JsonKind("wrong-role", op, _wrong_role(op), f({403})))
    if op.unknown:
        out.append(JsonKind("unknown-id", op, _unknown_id(op), f({404})))
    if op.body is not None and op.media == "application/json":
        out.append(JsonKind("bad-body", op, _bad_body(op), f({400, 422})))
    return out


# ------------------------------------------------------------------ shared by the tables

DCC, SUP, CSP = frozenset({"dcc"}), frozenset({"supplier"}), frozenset({"csp"})
DCC_SUP = frozenset({"dcc", "supplier"})
R = {"reason": "refusal harness"}
V1 = "/api/v1"


def iso(days: float) -> str:
    return (START + timedelta(days=days)).isoformat()


def _campaigns(w: World, *names: str) -> st.SearchStrategy[str]:
    return st.sampled_from([getattr(w, n).campaign_id for n in names])


def _op(op: Op, *specific: tuple[str, Any, set[int]]) -> tuple[Op, list[JsonKind]]:
    return op, [JsonKind(name, op, make, frozenset(expect)) for name, make, expect in specific]
