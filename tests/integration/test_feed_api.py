"""The pull feed: a Service User reads its own alerts after a cursor, in pages, as the same
XML a webhook would carry, and acknowledges by cursor."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from chfw_api.bootstrap import Container
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, Estate
from tests.integration.test_delivery_worker import raise_alerts

FEED = "/api/v1/feed"


def _page(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get(FEED, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_feed_pages_through_the_callers_alerts_and_resumes_after_the_ack(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2, X4
    ids = raise_alerts(container, SUPPLIER_A, 5)
    raise_alerts(container, SUPPLIER_B, 3, first=100)
    with container.uow(read_only=True) as uow:
        stored = {
            body.split("<sr:ResponseID>")[1].split("<")[0]: body for _, body in uow.outbox.bodies()
        }
    first = _page(client, estate.supplier_a, limit=2)
    assert [i["alert_id"] for i in first["items"]] == ids[:2] and first["has_more"]
    assert all(i["xml"] == stored[i["alert_id"]] and i["code"] == "N63" for i in first["items"])
    rest = _page(client, estate.supplier_a, after=first["next_cursor"], limit=10)
    assert [i["alert_id"] for i in rest["items"]] == ids[2:] and not rest["has_more"]
    empty = _page(client, estate.supplier_a, after=rest["next_cursor"])
    assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]
    # B sees only its own three.
    assert len(_page(client, estate.supplier_b)["items"]) == 3

    ack = client.post(
        f"{FEED}/ack", headers=estate.supplier_a, json={"cursor": first["next_cursor"]}
    )
    assert ack.json() == {"acknowledged": first["next_cursor"]}
    resumed = _page(client, estate.supplier_a)
    assert [i["alert_id"] for i in resumed["items"]] == ids[2:]
    assert resumed["acknowledged"] == first["next_cursor"]
    # Acknowledging an older cursor never moves it back; re-reading is still possible.
    back = client.post(f"{FEED}/ack", headers=estate.supplier_a, json={"cursor": "0"})
    assert back.json() == {"acknowledged": first["next_cursor"]}
    assert len(_page(client, estate.supplier_a, after="0")["items"]) == 5
    assert _page(client, estate.supplier_a, code="N70")["items"] == []


def test_bad_cursors_and_other_parties_are_refused(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X2, X5
    raise_alerts(container, SUPPLIER_A, 1)
    theirs = raise_alerts(container, SUPPLIER_B, 1, first=100)
    last_b = _page(client, estate.supplier_b)["next_cursor"]
    odd = ({"cursor": "99999999999999999999"}, {"cursor": "9223372036854775808"}, {"cursor": "²"})
    for body in ({"cursor": "abc"}, {"cursor": "-1"}, {"cursor": last_b}, *odd):
        r = client.post(f"{FEED}/ack", headers=estate.supplier_a, json=body)
        assert r.status_code == 422, (body, r.text)
    for after in ("x", "²", "99999999999999999999"):  # never a 500 (an int overflow)
        r = client.get(FEED, headers=estate.supplier_a, params={"after": after})
        assert r.status_code == 422, (after, r.text)
    assert client.get(FEED, headers=estate.dcc).status_code == 403
    assert client.get(FEED, headers=estate.csp_north).status_code == 403
    assert client.get(FEED).status_code == 401
    assert theirs[0] not in str(_page(client, estate.supplier_a))
