"""Webhook delivery end to end on each backend: stored alerts reach loopback receivers signed,
and every way a receiver can misbehave ends in a retry, a disabled endpoint or a dead letter
that can be replayed (X4). Time is a fake clock: the retry schedule is walked, not waited.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import standardwebhooks
import standardwebhooks.webhooks
import svix.webhooks
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.delivery.batching import batch_id
from chfw_api.delivery.config import WorkerConfig, WorkerReport
from chfw_api.delivery.presigned import RESIGN_AFTER_SECONDS
from chfw_api.delivery.receiver import Received, Receiver, Reply
from chfw_api.delivery.runner import run, serve_worker
from chfw_api.domain.alerts import HubActivated, PendingAlert
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis import ALERT_BATCH
from chfw_api.duis.schema import validate
from tests.conftest import START, wipe
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate

HOOKS = "/api/v1/webhooks"


# ---------------------------------------------------------------------- shared helpers


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """The integration container, allowed to reach loopback receivers, with short timeouts."""
    settings = Settings(
        database_url=database_url,
        max_body_bytes=64 * 1024,
        webhook_allowed_networks=["127.0.0.0/8"],
        webhook_timeout_seconds=0.5,
        webhook_connect_timeout_seconds=1.0,
        delivery_lease_seconds=30,
        delivery_poll_seconds=0.05,
        delivery_endpoint_concurrency=4,
    )
    c = build(settings, clock=FakeClock(START))
    wipe(c.engine)
    yield c
    c.dispose()


def clock(c: Container) -> FakeClock:
    assert isinstance(c.clock, FakeClock)
    return c.clock


def register(
    client: TestClient,
    headers: dict[str, str],
    url: str,
    codes: tuple[str, ...] = ("N63",),
    **extra: Any,
) -> dict[str, Any]:
    r = client.post(
        f"{HOOKS}/endpoints", headers=headers, json={"url": url, "codes": list(codes), **extra}
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def raise_alerts(c: Container, supplier: str, n: int, first: int = 1) -> list[str]:
    """Store `n` per-hub activation alerts for `supplier`, as the CSP result path would."""
    with c.uow() as uow:
        party = uow.parties.get_by_code(supplier)
        assert party is not None
        alerts = [
            PendingAlert(party.id, party.code, HubActivated(guid_from_int(i), "0100A2F3"))
            for i in range(first, first + n)
        ]
        ids = uow.outbox.add(alerts, now=c.clock.now())
        uow.commit()
    return ids


def deliver(c: Container) -> WorkerReport:
    """`chfw worker --once`: deliver everything due now, then return."""
    return run(serve_worker(c, once=True, handle_signals=False))


@contextlib.contextmanager
def receiver_time(at: datetime) -> Iterator[None]:
    """The verifiers check the timestamp against their clock: make theirs read `at`."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:  # type: ignore[override]
            return at  # type: ignore[return-value]

    with mock.patch.object(standardwebhooks.webhooks, "datetime", Frozen):
        yield


def verify(secret: str, request: Received, at: datetime) -> None:
    """Both independent verifiers accept `request` as received at `at`."""
    with receiver_time(at):
        standardwebhooks.Webhook(secret).verify(request.body, request.headers, json_parse=False)
        svix.webhooks.Webhook(secret).verify(request.body, request.headers)


def refuses(secret: str, request: Received, at: datetime) -> bool:
    with receiver_time(at):
        try:
            standardwebhooks.Webhook(secret).verify(request.body, request.headers, json_parse=False)
        except standardwebhooks.webhooks.WebhookVerificationError:
            return True
    return False


def stats(client: TestClient, headers: dict[str, str]) -> dict[int, dict[str, Any]]:
    r = client.get(f"{HOOKS}/stats", headers=headers)
    assert r.status_code == 200, r.text
    return {s["endpoint_id"]: s for s in r.json()}


def dead_letters(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get(f"{HOOKS}/dead-letters", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def scripted(*replies: Reply) -> Callable[[Received], Reply]:
    """Answer with `replies` in turn, then 200 for ever."""
    queue = list(replies)
    return lambda _: queue.pop(0) if queue else Reply()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------- the happy path


def test_alerts_arrive_signed_as_stored_with_the_alert_id(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url())
        ids = raise_alerts(container, SUPPLIER_A, 3)
        report = deliver(container)
    assert report.delivered == 3 and report.requests == 3
    requests = sorted(r.requests, key=lambda q: ids.index(q.headers["webhook-id"]))
    assert [q.headers["webhook-id"] for q in requests] == ids
    with container.uow(read_only=True) as uow:
        stored = [body for _, body in uow.outbox.bodies()]
    for request, body in zip(requests, stored, strict=True):
        assert request.method == "POST" and request.path == "/hook"
        assert request.headers["content-type"] == "application/xml"
        assert request.headers["user-agent"] == "chfw-webhooks/1"
        assert request.body == body.encode()
        assert int(request.headers["webhook-timestamp"]) == int(START.timestamp())
        verify(ep["secret"], request, START)
    s = stats(client, estate.supplier_a)[ep["id"]]
    assert (s["pending"], s["failed"], s["delivered"], s["dead"]) == (0, 0, 3, 0)
    assert s["latency_count"] == 3


def test_only_matching_codes_and_only_the_recipients_endpoints_get_an_alert(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2, X4
    with Receiver() as r:
        a_all = register(client, estate.supplier_a, r.url("/a-all"), ("*",))
        register(client, estate.supplier_a, r.url("/a-n70"), ("N70",))
        register(client, estate.supplier_b, r.url("/b-all"), ("*",))
        a_n63 = register(client, estate.supplier_a, r.url("/a-n63"), ("N63",))
        raise_alerts(container, SUPPLIER_A, 2)
        raise_alerts(container, SUPPLIER_B, 1, first=100)
        deliver(container)
    by_path: dict[str, int] = {}
    for q in r.requests:
        by_path[q.path] = by_path.get(q.path, 0) + 1
    assert by_path == {"/a-all": 2, "/a-n63": 2, "/b-all": 1}
    assert stats(client, estate.supplier_a)[a_all["id"]]["delivered"] == 2
    assert stats(client, estate.supplier_a)[a_n63["id"]]["delivered"] == 2


def test_a_paused_endpoint_queues_its_alerts_until_resumed(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url())
        patch = client.patch(
            f"{HOOKS}/endpoints/{ep['id']}", headers=estate.supplier_a, json={"enabled": False}
        )
        assert patch.status_code == 200 and patch.json()["status"] == "disabled"
        ids = raise_alerts(container, SUPPLIER_A, 2)
        deliver(container)
        assert r.requests == []
        assert stats(client, estate.supplier_a)[ep["id"]]["pending"] == 2
        client.patch(
            f"{HOOKS}/endpoints/{ep['id']}", headers=estate.supplier_a, json={"enabled": True}
        )
        deliver(container)
    assert sorted(q.headers["webhook-id"] for q in r.requests) == sorted(ids)


# ---------------------------------------------------------------------- faults


def test_a_5xx_is_retried_minutes_later_with_the_same_id_and_a_fresh_signature(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver(respond=scripted(Reply(503))) as r:
        ep = register(client, estate.supplier_a, r.url())
        [alert_id] = raise_alerts(container, SUPPLIER_A, 1)
        deliver(container)
        s = stats(client, estate.supplier_a)[ep["id"]]
        assert (s["failed"], s["delivered"]) == (1, 0)
        deliver(container)  # not due yet: nothing sent
        assert len(r.requests) == 1
        later = clock(container).advance(timedelta(minutes=10))
        deliver(container)
    first, retry = r.requests
    assert first.headers["webhook-id"] == retry.headers["webhook-id"] == alert_id
    assert first.body == retry.body
    assert int(retry.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 600
    verify(ep["secret"], first, START)
    verify(ep["secret"], retry, later)
    assert refuses(ep["secret"], first, later)  # a replayed old request would be refused
    assert stats(client, estate.supplier_a)[ep["id"]]["delivered"] == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(500), "HTTP 500"),
        (Reply(404), "HTTP 404"),
        (Reply(reset=True), "connection"),
        (Reply(delay=0.8), "timed out after 0.5s"),
        (Reply(hang=True), "timed out after 0.5s"),
        (
            Reply(302, (("Location", "http://127.0.0.1:9/elsewhere"),)),
            "redirect to http://127.0.0.1:9",
        ),
    ],
    ids=["500", "404", "reset", "slow", "hang", "302"],
)
def test_each_failure_is_recorded_and_retried(
    client: TestClient, estate: Estate, container: Container, reply: Reply, error: str
) -> None:
    # covers: X4
    with Receiver(respond=scripted(reply)) as r:
        ep = register(client, estate.supplier_a, r.url())
        raise_alerts(container, SUPPLIER_A, 1)
        report = deliver(container)
        assert report.retried == 1 and report.delivered == 0
        with container.uow(read_only=True) as uow:
            [row] = uow.session.execute(text("SELECT attempts, last_error FROM deliveries")).all()
        assert row.attempts == 1 and error in row.last_error
        clock(container).advance(timedelta(minutes=1))
        deliver(container)
    assert [q.path for q in r.requests] == ["/hook", "/hook"]  # no redirect was followed
    assert stats(client, estate.supplier_a)[ep["id"]]["delivered"] == 1


def test_a_refused_connection_is_retried(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    ep = register(client, estate.supplier_a, f"http://127.0.0.1:{free_port()}/hook")
    raise_alerts(container, SUPPLIER_A, 10)
    report = deliver(container)
    assert report.retried == 10
    # One connection attempt per lane; the alerts queued behind them failed fast.
    assert report.requests <= container.settings.delivery_endpoint_concurrency
    assert stats(client, estate.supplier_a)[ep["id"]]["failed"] == 10


def test_429_retry_after_is_honoured(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver(respond=scripted(Reply(429, (("Retry-After", "120"),)))) as r:
        register(client, estate.supplier_a, r.url())
        raise_alerts(container, SUPPLIER_A, 1)
        deliver(container)
        clock(container).advance(timedelta(seconds=100))  # the schedule alone says ~10 s
        deliver(container)
        assert len(r.requests) == 1
        clock(container).advance(timedelta(seconds=21))
        deliver(container)
    assert len(r.requests) == 2


def test_410_disables_the_endpoint_and_dead_letters_its_queue(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    gone = True
    with Receiver(respond=lambda _: Reply(410) if gone else Reply()) as r:
        ep = register(client, estate.supplier_a, r.url())
        ids = raise_alerts(container, SUPPLIER_A, 3)
        deliver(container)
        sent_while_gone = len(r.requests)
        assert 1 <= sent_while_gone <= 3
        got = client.get(f"{HOOKS}/endpoints/{ep['id']}", headers=estate.supplier_a).json()
        assert got["status"] == "disabled" and "410" in got["disabled_reason"]
        dead = dead_letters(client, estate.supplier_a)
        assert sorted(d["alert_id"] for d in dead) == sorted(ids)
        queued = raise_alerts(container, SUPPLIER_A, 1, first=10)  # kept while disabled
        deliver(container)
        assert len(r.requests) == sent_while_gone
        replay_one = f"{HOOKS}/dead-letters/{dead[0]['delivery_id']}/replay"
        assert client.post(replay_one, headers=estate.supplier_a).status_code == 409
        gone = False
        client.patch(
            f"{HOOKS}/endpoints/{ep['id']}", headers=estate.supplier_a, json={"enabled": True}
        )
        window = {"since": START.isoformat(), "until": (START + timedelta(1)).isoformat()}
        replay = client.post(f"{HOOKS}/dead-letters/replay", headers=estate.supplier_a, json=window)
        assert replay.json() == {"replayed": 3}
        deliver(container)
    resent = [q.headers["webhook-id"] for q in r.requests[sent_while_gone:]]
    assert sorted(resent) == sorted(ids + queued)
    assert stats(client, estate.supplier_a)[ep["id"]]["delivered"] == 4


def test_one_hanging_endpoint_never_holds_back_another(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver(respond=lambda _: Reply(hang=True)) as dead, Receiver() as live:
        stuck = register(client, estate.supplier_a, dead.url())
        fine = register(client, estate.supplier_b, live.url())
        raise_alerts(container, SUPPLIER_A, 20)
        raise_alerts(container, SUPPLIER_B, 20, first=100)
        report = deliver(container)
    assert len(live.requests) == 20
    # The hanging endpoint saw at most its lane's width; the rest failed fast behind it.
    assert len(dead.requests) <= container.settings.delivery_endpoint_concurrency
    first_hang = min(q.at for q in dead.requests)
    assert (
        max(q.at for q in live.requests) < first_hang + container.settings.webhook_timeout_seconds
    )
    assert report.delivered == 20 and report.retried == 20
    assert stats(client, estate.supplier_a)[stuck["id"]]["failed"] == 20
    assert stats(client, estate.supplier_b)[fine["id"]]["delivered"] == 20


def test_when_slots_are_short_endpoints_take_turns(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    # Generous timeout and lease: a loaded CI machine must not turn a 30 ms answer into a
    # timeout (and a retry outside this run), which is not what this test is about.
    config = replace(
        WorkerConfig.from_settings(container.settings),
        concurrency=2,
        timeout=30.0,
        lease_seconds=120.0,
    )
    with Receiver(respond=lambda _: Reply(delay=0.03)) as slow, Receiver() as quick:
        register(client, estate.supplier_a, slow.url())
        register(client, estate.supplier_b, quick.url())
        raise_alerts(container, SUPPLIER_A, 20)
        raise_alerts(container, SUPPLIER_B, 4, first=100)
        report = run(serve_worker(container, once=True, handle_signals=False, config=config))
    assert report.delivered == 24
    quick_done = max(q.at for q in quick.requests)
    # Round robin: the quick endpoint was served while the slow one still had most to send.
    assert sum(q.at < quick_done for q in slow.requests) <= 10


# ---------------------------------------------------------------------- dead letters, replay


def test_the_schedule_ends_in_a_dead_letter_and_replay_resends_the_same_id(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    failing = True
    with Receiver(respond=lambda _: Reply(500) if failing else Reply()) as r:
        ep = register(client, estate.supplier_a, r.url())
        [alert_id] = raise_alerts(container, SUPPLIER_A, 1)
        for _ in range(15):
            deliver(container)
            clock(container).advance(timedelta(hours=15))  # beyond the longest jittered step
        assert len(r.requests) == 10  # 1 + the 9 retries of the default schedule
        [dead] = dead_letters(client, estate.supplier_a)
        assert dead["alert_id"] == alert_id and dead["attempts"] == 10
        assert dead["last_status"] == 500 and "gave up after 10 attempts" in dead["last_error"]
        assert stats(client, estate.supplier_a)[ep["id"]]["dead"] == 1
        assert dead_letters(client, estate.supplier_b) == []  # X2
        other = client.post(
            f"{HOOKS}/dead-letters/{dead['delivery_id']}/replay", headers=estate.supplier_b
        )
        assert other.status_code == 404
        failing = False
        replay = client.post(
            f"{HOOKS}/dead-letters/{dead['delivery_id']}/replay", headers=estate.supplier_a
        )
        assert replay.status_code == 200 and replay.json() == {"replayed": 1}
        deliver(container)
    assert {q.headers["webhook-id"] for q in r.requests} == {alert_id}
    assert len(r.requests) == 11
    assert dead_letters(client, estate.supplier_a) == []
    assert stats(client, estate.supplier_a)[ep["id"]]["delivered"] == 1


def test_replay_of_a_time_window_touches_only_that_window(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    gone = True
    with Receiver(respond=lambda _: Reply(410) if gone else Reply()) as r:
        ep = register(client, estate.supplier_a, r.url())
        early = raise_alerts(container, SUPPLIER_A, 2)
        clock(container).advance(timedelta(hours=2))
        late = raise_alerts(container, SUPPLIER_A, 2, first=10)
        deliver(container)  # 410: all four dead
        assert len(dead_letters(client, estate.supplier_a)) == 4
        gone = False
        sent_while_gone = len(r.requests)
        client.patch(
            f"{HOOKS}/endpoints/{ep['id']}", headers=estate.supplier_a, json={"enabled": True}
        )
        window = {
            "since": (START + timedelta(hours=1)).isoformat(),
            "until": (START + timedelta(hours=3)).isoformat(),
        }
        replay = client.post(f"{HOOKS}/dead-letters/replay", headers=estate.supplier_a, json=window)
        assert replay.json() == {"replayed": 2}
        none = client.post(f"{HOOKS}/dead-letters/replay", headers=estate.supplier_b, json=window)
        assert none.json() == {"replayed": 0}  # X2: B has no dead letters of A's
        deliver(container)
    assert sorted(q.headers["webhook-id"] for q in r.requests[sent_while_gone:]) == sorted(late)
    assert sorted(d["alert_id"] for d in dead_letters(client, estate.supplier_a)) == sorted(early)
    bad = client.post(
        f"{HOOKS}/dead-letters/replay",
        headers=estate.supplier_a,
        json={"since": window["until"], "until": window["since"]},
    )
    assert bad.status_code == 422  # X5


def test_dcc_lists_and_replays_any_dead_letter(
    client: TestClient, estate: Estate, container: Container
) -> None:
    with Receiver(respond=scripted(Reply(410))) as r:
        ep = register(client, estate.supplier_a, r.url())
        raise_alerts(container, SUPPLIER_A, 1)
        deliver(container)
        client.patch(f"{HOOKS}/endpoints/{ep['id']}", headers=estate.dcc, json={"enabled": True})
        [dead] = dead_letters(client, estate.dcc)
        assert dead["party"] == SUPPLIER_A
        replay = client.post(
            f"{HOOKS}/dead-letters/{dead['delivery_id']}/replay", headers=estate.dcc
        )
        assert replay.json() == {"replayed": 1}
        deliver(container)
    assert len(r.requests) == 2


# ---------------------------------------------------------------------- batching, rotation


def test_a_batching_endpoint_gets_alert_batches_each_alert_keeping_its_id(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url(), batch_size=5)
        ids = raise_alerts(container, SUPPLIER_A, 12)
        report = deliver(container)
    assert report.requests == 3 and report.delivered == 12
    seen = []
    for q in r.requests:
        root = etree.fromstring(q.body)
        assert root.tag == ALERT_BATCH
        validate(root)
        in_batch = [e.text for e in root.iter("{*}ResponseID")]
        assert q.headers["webhook-id"] == batch_id(in_batch)
        verify(ep["secret"], q, START)
        seen += in_batch
    assert sorted(seen) == sorted(ids)
    assert sorted(len(q.alert_ids) for q in r.requests) == [2, 5, 5]


def test_cookies_an_endpoint_sets_are_never_sent_back(
    client: TestClient, estate: Estate, container: Container
) -> None:
    """The worker keeps no cookie jar: one alert's response cannot shape the next request."""
    respond = scripted(Reply(headers=(("Set-Cookie", "session=abc; Path=/"),)))
    config = replace(WorkerConfig.from_settings(container.settings), endpoint_concurrency=1)
    with Receiver(respond=respond) as r:  # a name, not an IP (a jar ignores IP hosts' cookies)
        register(client, estate.supplier_a, r.url().replace("127.0.0.1", "localhost"))
        raise_alerts(container, SUPPLIER_A, 3)
        report = run(serve_worker(container, once=True, config=config, handle_signals=False))
    assert report.delivered == 3
    assert [q.headers.get("cookie") for q in r.requests] == [None, None, None]


def test_a_request_left_unsent_long_after_its_claim_is_signed_again_at_the_send(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    """Single alerts are signed when their claim arrives; one that waits past
    RESIGN_AFTER_SECONDS (here: the clock jumps while the first is answered, one request at
    a time) carries the time it was sent, not the claim's, and still verifies."""
    later = START + timedelta(seconds=RESIGN_AFTER_SECONDS + 1)

    def respond(_: Received) -> Reply:
        if clock(container).now() < later:
            clock(container).advance(later - START)
        return Reply()

    # A lease longer than the jump: the claim stays this worker's. A generous timeout: under
    # CI load the first answer once took over 0.5 s and the other two went to a retry.
    config = replace(
        WorkerConfig.from_settings(container.settings),
        endpoint_concurrency=1,
        lease_seconds=120,
        timeout=30.0,
    )
    with Receiver(respond=respond) as r:
        ep = register(client, estate.supplier_a, r.url())
        raise_alerts(container, SUPPLIER_A, 3)
        report = run(serve_worker(container, once=True, config=config, handle_signals=False))
    assert report.delivered == 3 and report.claims == 1
    first, *rest = r.requests
    assert int(first.headers["webhook-timestamp"]) == int(START.timestamp())
    verify(ep["secret"], first, START)
    for request in rest:
        assert int(request.headers["webhook-timestamp"]) == int(later.timestamp())
        verify(ep["secret"], request, later)


def test_rotation_signs_with_both_secrets_for_the_overlap_then_the_new_one(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X4
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url())
        old = ep["secret"]
        rotated = client.post(
            f"{HOOKS}/endpoints/{ep['id']}/rotate-secret",
            headers=estate.supplier_a,
            json={"overlap_seconds": 3600},
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != old and new.startswith("whsec_")
        assert rotated.json()["previous_secret_expires_at"].startswith("2026-01-05T10:00")
        raise_alerts(container, SUPPLIER_A, 1)
        deliver(container)
        later = clock(container).advance(timedelta(hours=2))
        raise_alerts(container, SUPPLIER_A, 1, first=2)
        deliver(container)
    during, after = r.requests
    verify(old, during, START)
    verify(new, during, START)
    verify(new, after, later)
    assert refuses(old, after, later)
    assert after.headers["webhook-signature"].count("v1,") == 1
