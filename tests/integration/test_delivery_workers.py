"""Many workers, big fan-outs and the figures: claims never overlap, whatever the number of
workers; 50,000 alerts fan out in one statement; counts reach the DCC API and /metrics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from chfw_api.bootstrap import Container
from chfw_api.delivery.receiver import Receiver, Reply
from chfw_api.persistence.tables import AlertRow
from chfw_api.services import delivery as svc
from tests.conftest import START
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.test_delivery_worker import (
    container as container,
)
from tests.integration.test_delivery_worker import deliver, raise_alerts, register


def _is_postgres(c: Container) -> bool:
    return c.engine.dialect.name == "postgresql"


def test_concurrent_claims_are_disjoint_and_complete(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    register(client, estate.supplier_a, "http://127.0.0.1:9/hook")
    raise_alerts(container, SUPPLIER_A, 600)
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def worker(token: str) -> None:
        start.wait()
        got = claimed.setdefault(token, [])
        while batch := svc.claim_due(
            container.uow(),
            now=START,
            lease_seconds=60,
            token=token,
            limit=25,
            per_endpoint=1000,
        ).deliveries:
            got += [d.delivery_id for d in batch]

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in claimed.values() for i in ids]
    assert len(every) == len(set(every)) == 600
    # Leases end: after they run out, the same rows can be claimed again (crashed workers).
    again = svc.claim_due(
        container.uow(),
        now=START + timedelta(seconds=61),
        lease_seconds=60,
        token="late",
        limit=1000,
        per_endpoint=1000,
    )
    assert len(again.deliveries) == 600


@pytest.mark.parametrize("workers", [2, 4])
def test_worker_processes_on_postgresql_deliver_each_alert_once(
    client: TestClient, estate: Estate, container: Container, workers: int
) -> None:
    # covers: X4
    if not _is_postgres(container):
        pytest.skip("SKIP LOCKED claims by concurrent processes: the PostgreSQL path")
    with Receiver(respond=lambda _: Reply(delay=0.005)) as r:
        register(client, estate.supplier_a, r.url(), ("*",))
        ids = raise_alerts(container, SUPPLIER_A, 300)
        env = {
            **os.environ,
            "CHFW_DATABASE_URL": container.settings.database_url,
            "CHFW_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
            "CHFW_DELIVERY_CLAIM_SIZE": "20",
            "CHFW_DELIVERY_ENDPOINT_CONCURRENCY": "4",
            "CHFW_LOG_LEVEL": "WARNING",
        }
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "chfw_api.cli", "worker", "--once"],
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        outputs = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    delivered = [
        int(re.search(r"([\d,]+) delivered", o).group(1).replace(",", "")) for o in outputs
    ]  # type: ignore[union-attr]
    assert sum(delivered) == len(ids)  # every delivery recorded by exactly one worker
    received = r.delivered_ids()
    assert set(received) == set(ids) and max(received.values()) == 1


def test_fan_out_of_50000_alerts_is_one_statement(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    register(client, estate.supplier_a, "http://127.0.0.1:9/all", ("*",))
    register(client, estate.supplier_a, "http://127.0.0.1:9/n70", ("N70",))
    with container.uow() as uow:
        party = uow.parties.get_by_code(SUPPLIER_A)
        assert party is not None
        rows = [
            {
                "id": i,
                "alert_id": f"x:{i}",
                "code": "N63",
                "recipient_party_id": party.id,
                "created_at": START,
                "body": "<x/>",
            }
            for i in range(1, 50_001)
        ]
        uow.session.execute(insert(AlertRow), rows)
        statements: list[str] = []
        from sqlalchemy import event

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(container.engine, "before_cursor_execute", count)
        try:
            uow.outbox.fan_out(1, 50_000)
        finally:
            event.remove(container.engine, "before_cursor_execute", count)
        n = uow.session.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
        uow.commit()
    assert n == 50_000
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1


def test_counts_and_latency_reach_the_dcc_api_and_metrics(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver(respond=lambda q: Reply(500) if q.path == "/down" else Reply()) as r:
        up = register(client, estate.supplier_a, r.url("/up"), ("*",))
        down = register(client, estate.supplier_a, r.url("/down"), ("*",))
        raise_alerts(container, SUPPLIER_A, 3)
        deliver(container)
    stats = {
        s["endpoint_id"]: s for s in client.get("/api/v1/webhooks/stats", headers=estate.dcc).json()
    }
    assert (stats[up["id"]]["delivered"], stats[up["id"]]["latency_count"]) == (3, 3)
    assert (stats[down["id"]]["failed"], stats[down["id"]]["pending"]) == (3, 0)
    assert stats[down["id"]]["oldest_pending_at"].startswith("2026-01-05T09:00")
    assert client.get("/api/v1/webhooks/stats", headers=estate.supplier_b).json() == []  # X2
    r = client.get("/metrics", headers=estate.dcc)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    up_labels = f'endpoint="{up["id"]}",party="{SUPPLIER_A}"'
    down_labels = f'endpoint="{down["id"]}",party="{SUPPLIER_A}"'
    assert f'chfw_webhook_deliveries{{{up_labels},state="delivered"}} 3' in r.text
    assert f'chfw_webhook_deliveries{{{down_labels},state="failed"}} 3' in r.text
    assert f"chfw_webhook_delivery_latency_seconds_count{{{up_labels}}} 3" in r.text
    assert client.get("/metrics", headers=estate.supplier_a).status_code == 403
    assert client.get("/metrics").status_code == 401
