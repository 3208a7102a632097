"""/metrics by prometheus_client, /readyz's outbox lag limit, and the log lines' facts (#15)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from chfw_api.api.app import create_app
from chfw_api.api.logging import JsonFormatter
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.delivery.receiver import Receiver, Reply
from chfw_api.delivery.runner import run, serve_worker
from chfw_api.domain.clock import FakeClock
from tests.conftest import START, wipe
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import (
    create_campaign,
    create_release,
    load_hubs,
    pilot_window,
)
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.test_delivery_worker import raise_alerts

LIMIT = 600.0
GUID = re.compile(r"[0-9A-F]{2}(?:-[0-9A-F]{2}){7}")


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    c = build(
        Settings(
            database_url=database_url,
            webhook_allowed_networks=["127.0.0.0/8"],
            ready_max_outbox_lag_seconds=LIMIT,
        ),
        clock=FakeClock(START),
    )
    wipe(c.engine)
    yield c
    c.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as tc:
        yield tc


@contextlib.contextmanager
def access_log() -> Iterator[io.StringIO]:
    """The access log as `chfw serve` writes it: JSON, formatted while the request runs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("chfw.access")
    access.addHandler(handler)
    # Alembic's fileConfig (migrations/env.py) disables loggers that exist when it runs.
    level, disabled = access.level, access.disabled
    access.setLevel(logging.INFO)
    access.disabled = False
    try:
        yield out
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
        access.disabled = disabled


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    with access_log() as out:
        yield out


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _instruct(client: TestClient, estate: Estate) -> tuple[str, list[str]]:
    hubs = load_hubs(client, estate)
    cid = create_campaign(
        client, estate, create_release(client, estate), with_pilot=True,
        **pilot_window(days_from_start=60, length_days=60),
    )["campaign_id"]  # fmt: skip
    guids = hubs.a_only + hubs.split_ab  # all A has: a batch under 50,000 GUIDs (BR3.7)
    body = sr.instruction(cid, START + timedelta(days=120), guids)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.7", body))
    assert sr.code(doc) == "I0", r.text
    return cid, hubs.a_only


def test_metrics_count_requests_alerts_deliveries_and_read_rollout_state(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    before = {
        "sr": _sample("chfw_service_requests_total", sr="11.7", code="I0"),
        "n80": _sample("chfw_alerts_queued_total", code="N80"),
        "ok": _sample("chfw_webhook_delivery_outcomes_total", outcome="delivered"),
        "timed": _sample("chfw_service_request_duration_seconds_count", sr="11.7"),
    }
    with Receiver() as receiver:
        r = client.post(
            "/api/v1/webhooks/endpoints",
            headers=estate.supplier_a,
            json={"url": receiver.url("/hook"), "codes": ["N80"]},
        )
        assert r.status_code == 201, r.text
        cid, guids = _instruct(client, estate)
        run(serve_worker(container, once=True, handle_signals=False))
    assert _sample("chfw_service_requests_total", sr="11.7", code="I0") == before["sr"] + 1
    assert _sample("chfw_service_request_duration_seconds_count", sr="11.7") == before["timed"] + 1
    assert _sample("chfw_alerts_queued_total", code="N80") == before["n80"] + 2  # A's, B's
    assert _sample("chfw_webhook_delivery_outcomes_total", outcome="delivered") == before["ok"] + 1
    r = client.get("/metrics", headers=estate.dcc)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    for family in (
        "chfw_service_requests_total",
        "chfw_service_request_duration_seconds_bucket",
        "chfw_alerts_queued_total",
        "chfw_webhook_delivery_outcomes_total",
        "chfw_webhook_deliveries",
        "chfw_outbox_lag_seconds",
        "chfw_campaign_hubs",
        "# TYPE chfw_csp_uploads_total counter",
        "# TYPE chfw_guardrail_pauses gauge",
    ):
        assert family in text, family
    assert f'chfw_campaign_hubs{{campaign="{cid}",status="instructed"}} {len(guids)}.0' in text
    assert "chfw_outbox_lag_seconds 0.0" in text
    hub_ids = set(guids)
    assert not any(g in hub_ids for g in GUID.findall(text))  # never a hub's GUID as a label
    assert client.get("/metrics", headers=estate.supplier_a).status_code == 403


def test_readyz_fails_while_due_alerts_wait_longer_than_the_limit(
    client: TestClient, estate: Estate, container: Container
) -> None:
    assert client.get("/readyz").status_code == 200
    with Receiver(respond=lambda q: Reply(200)) as receiver:
        r = client.post(
            "/api/v1/webhooks/endpoints",
            headers=estate.supplier_a,
            json={"url": receiver.url("/hook"), "codes": ["N63"]},
        )
        assert r.status_code == 201, r.text
        raise_alerts(container, SUPPLIER_A, 2)
        clock = container.clock
        assert isinstance(clock, FakeClock)
        clock.advance(timedelta(seconds=LIMIT - 1))
        assert client.get("/readyz").status_code == 200
        clock.advance(timedelta(seconds=2))
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["detail"] == "outbox lag" and r.json()["outbox_lag_seconds"] > LIMIT
        lag = client.get("/metrics", headers=estate.dcc).text
        assert re.search(r"^chfw_outbox_lag_seconds 60[01]\.\d+$", lag, re.M), lag
        run(serve_worker(container, once=True, handle_signals=False))
    assert client.get("/readyz").json() == {"status": "ready"}


def test_log_lines_name_the_request_party_campaign_and_duis_request_never_the_key(
    client: TestClient, estate: Estate, log_lines: io.StringIO
) -> None:
    cid, _ = _instruct(client, estate)
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    (line,) = [x for x in lines if x.get("path") == "/api/v1/serviceD"]
    assert line["party"] == SUPPLIER_A and line["sr"] == "11.7" and line["campaign"] == cid
    assert line["duis_request_id"].startswith(f"{SUPPLIER_A}:")
    assert len(line["request_id"]) == 32 and line["status"] == 200
    assert "trace_id" not in line  # tracing is off
    campaign_reads = [x for x in lines if x.get("path") == f"/api/v1/campaigns/{cid}"]
    assert all(x.get("campaign") == cid for x in campaign_reads)
    keys = [h["Authorization"].split()[1] for h in (estate.dcc, estate.supplier_a)]
    assert not any(k in log_lines.getvalue() for k in keys)
