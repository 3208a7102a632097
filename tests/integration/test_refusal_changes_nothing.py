"""A refused request changes nothing (X5): for every Service Request 11.5-11.10 and every JSON
mutation of the API, hypothesis draws refused requests against a service holding real state,
and a snapshot of every table and of the gateway and report folders taken before and after
each one must be identical. The one allowed change is the one the contract names: a Service
Request refused after its signature was checked has consumed its RequestID counter (X3), so
that request's originator's counter, and only that, stands at the request's counter.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from lxml import etree
from sqlalchemy import text
from sqlalchemy.engine import make_url

from chfw_api.api.app import create_app
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.domain.clock import FakeClock
from chfw_api.persistence.database import make_engine
from chfw_api.persistence.migrations import upgrade
from tests.conftest import BACKENDS, START, _create_pg_database
from tests.integration import refusal_world, snapshot
from tests.integration.refusal_json import NO_BODY, Call, JsonKind
from tests.integration.refusal_json_ops import json_kinds, operation_keys
from tests.integration.refusal_sr import BEFORE_COUNTER, EITHER_SIDE, SR_KINDS, Attempt, Kind
from tests.integration.sr_builder import NS

# A minute or two on SQLite; fewer examples on PostgreSQL. Derandomised: CI sees the same draws.
EXAMPLES = {"sqlite": 6, "postgresql": 3}
SCALE = float(os.environ.get("CHFW_REFUSAL_EXAMPLES_SCALE", "1"))


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    tuple[str, str]
]:  # fmt: skip
    """A database of this module's own (the world is built once and shared by every case)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('refusals')}/chfw.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield request.param, url
        return
    url, admin = _create_pg_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        engine.dispose()
        yield request.param, url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def world(
    backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[refusal_world.World]:
    tmp = tmp_path_factory.mktemp("refusal-files")
    container: Container = build(
        Settings(
            database_url=backend[1],
            max_body_bytes=64 * 1024,
            gateway_root=tmp / "gateway",
            reports_dir=tmp / "reports",
            webhook_allowed_networks=["127.0.0.0/8"],
            pilot_max_size=8,
        ),
        clock=FakeClock(START),
    )
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield refusal_world.build(client, container, tmp)
    container.dispose()


def _examples(backend: tuple[str, str]) -> int:
    return max(1, round(EXAMPLES[backend[0]] * SCALE))


def _settings(backend: tuple[str, str]) -> settings:
    return settings(
        max_examples=_examples(backend),
        derandomize=True,
        deadline=None,
        database=None,
        # No shrinking: the first failing draw is reported as drawn (each is small already),
        # and a case marked xfail does not spend minutes shrinking on every run.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


# ----------------------------------------------------------------------- Service Requests


def _send(w: refusal_world.World, a: Attempt) -> tuple[httpx.Response, str]:
    """The response and its DUIS code ("HTTP" when the answer is not an sr:Response)."""
    headers = {**a.headers, "Content-Type": a.content_type} if a.content_type else a.headers
    r = w.client.post("/api/v1/serviceD", headers=headers, content=a.body)
    if not r.headers.get("content-type", "").startswith("application/xml"):
        return r, "HTTP"
    doc = etree.fromstring(r.content)
    return r, str(doc.findtext("sr:Header/sr:ResponseCode", namespaces=NS))


def test_every_service_request_has_refusals_drawn() -> None:
    """A Service Reference added without refusals here fails this test."""
    from chfw_api.domain.service_requests import ServiceReference

    assert {k.sr for k in SR_KINDS} == {r.value for r in ServiceReference}


def _sr_case(kind: Kind) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=kind.xfail)] if kind.xfail else []
    return pytest.param(kind, id=kind.id, marks=marks)


@pytest.mark.parametrize("kind", [_sr_case(k) for k in SR_KINDS])
def test_a_refused_service_request_changes_nothing(
    world: refusal_world.World, backend: tuple[str, str], kind: Kind
) -> None:
    # covers: X5, X3
    w = world

    @_settings(backend)
    @given(attempt=kind.strategy(w))
    def refused(attempt: Attempt) -> None:
        before = snapshot.take(w.container.engine, w.folders)
        r, code = _send(w, attempt)
        what = f"{kind.id} ({attempt.note}): {code} {r.status_code}"
        assert r.status_code >= 400, f"{what} was not refused: {r.text[:600]}"
        assert code == "HTTP" or code.startswith("E"), what
        if kind.expect:
            assert code in kind.expect, (
                f"{what}, expected one of {sorted(kind.expect)}: " + r.text[:600]
            )
        after = snapshot.take(w.container.engine, w.folders)
        allow = []
        if code not in BEFORE_COUNTER:
            allow.append(
                snapshot.counter_consumed(
                    attempt.originator, attempt.counter, required=code not in EITHER_SIDE
                )
            )
        snapshot.assert_unchanged(before, after, allow, what=what)

    refused()


def test_the_snapshot_sees_a_change_in_any_table_and_folder(
    world: refusal_world.World, tmp_path: Path
) -> None:
    """The harness can fail: a write anywhere, or a file, shows in the comparison."""
    w = world
    before = snapshot.take(w.container.engine, w.folders)
    flip = text("UPDATE hubs SET friendly_customer = NOT friendly_customer WHERE guid = :g")
    with w.container.engine.begin() as conn:
        conn.execute(flip, {"g": w.pilot.a_only[0]})
    changed = snapshot.take(w.container.engine, w.folders)
    with w.container.engine.begin() as conn:
        conn.execute(flip, {"g": w.pilot.a_only[0]})
    with pytest.raises(AssertionError, match="hubs"):
        snapshot.assert_unchanged(before, changed)
    stray = w.folders["reports"] / "stray.csv"
    stray.write_text("x")
    try:
        with pytest.raises(AssertionError, match=r"stray\.csv"):
            snapshot.assert_unchanged(before, snapshot.take(w.container.engine, w.folders))
    finally:
        stray.unlink()
    # A counter that moved is allowed only for its originator and only to the request's value.
    snapshot.assert_unchanged(before, snapshot.take(w.container.engine, w.folders))
    last = w.counter(refusal_world.SUPPLIER_A)
    with pytest.raises(AssertionError, match="counter"):
        snapshot.assert_unchanged(
            before,
            before,
            [snapshot.counter_consumed(refusal_world.SUPPLIER_A, last + 1)],
        )


# --------------------------------------------------------------------------- JSON mutations

MUTATIONS = frozenset({"post", "put", "patch", "delete"})
SR_PATH = "/api/v1/serviceD"


def test_every_json_mutation_has_refusals_drawn(world: refusal_world.World) -> None:
    """A mutation added to the API without refusals here fails this test."""
    spec = world.client.app.openapi()  # type: ignore[attr-defined]
    routes = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in MUTATIONS and path != SR_PATH
    }
    assert routes == operation_keys()


def _call(w: refusal_world.World, c: Call) -> httpx.Response:
    headers = dict(c.headers)
    if c.body is NO_BODY:
        return w.client.request(c.method, c.url, headers=headers)
    if isinstance(c.body, bytes):
        if c.media:
            headers["Content-Type"] = c.media
        return w.client.request(c.method, c.url, headers=headers, content=c.body)
    return w.client.request(c.method, c.url, headers=headers, json=c.body)


def _json_case(kind: JsonKind) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=kind.xfail)] if kind.xfail else []
    return pytest.param(kind, id=kind.id, marks=marks)


@pytest.mark.parametrize("kind", [_json_case(k) for k in json_kinds()])
def test_a_refused_json_mutation_changes_nothing(
    world: refusal_world.World, backend: tuple[str, str], kind: JsonKind
) -> None:
    # covers: X5, X2
    w = world

    @_settings(backend)
    @given(call=kind.strategy(w))
    def refused(call: Call) -> None:
        before = snapshot.take(w.container.engine, w.folders)
        r = _call(w, call)
        what = f"{kind.id} ({call.note}): {call.method} {call.url} -> {r.status_code}"
        assert r.status_code in kind.expect, (
            f"{what}, expected {sorted(kind.expect)}: {r.text[:600]}"
        )
        snapshot.assert_unchanged(before, snapshot.take(w.container.engine, w.folders), what=what)

    refused()
