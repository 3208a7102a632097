"""Activation results from CSPs: inventory update, per-hub alerts, idempotency, rejections,
pilot progress and the enhanced monitoring view."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from fastapi.testclient import TestClient
from lxml import etree

from chfw_api.bootstrap import Container
from chfw_api.domain.clock import FakeClock
from chfw_api.duis.schema import validate
from tests.conftest import START, duis_5_4_path
from tests.integration.campaign_fixtures import NEW_VERSION
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_B, SUPPLIER_ELEC, Estate
from tests.integration.csp_fixtures import (
    alerts,
    campaign,
    hub_row,
    post_results,
    result,
    set_in_pilot,
)


@cache
def duis_5_4() -> etree.XMLSchema:
    """The published DUIS 5.4 schema, loaded from the shared copy (never copied here)."""
    return etree.XMLSchema(etree.parse(str(duis_5_4_path())))


def _advance(container: Container, hours: float) -> None:
    clock = container.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=hours))


def test_activation_updates_the_inventory_and_alerts_both_suppliers_of_a_split_hub(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: AH, BR5.6, X4, BR3.3
    s = campaign(client, estate, pilot=False)
    split, same = s.hubs.split_ab[0], s.hubs.a_only[0]
    _advance(container, 2)
    at = START + timedelta(hours=1)
    post_results(client, estate.csp_north, s.campaign_id, [result(split, "distributed", at)])
    post_results(client, estate.csp_central, s.campaign_id, [result(same, "distributed", at)])
    assert hub_row(container, s.campaign_id, split)["status"] == "distributed"
    report = post_results(
        client,
        estate.csp_north,
        s.campaign_id,
        [
            result(
                split, "activated", at + timedelta(minutes=30), firmware_version=NEW_VERSION.lower()
            )
        ],
    )
    assert (report["accepted"], report["activated"], report["inventory_updated"]) == (1, 1, 1)
    post_results(
        client,
        estate.csp_central,
        s.campaign_id,
        [result(same, "activated", at + timedelta(minutes=30), firmware_version=NEW_VERSION)],
    )
    row = hub_row(container, s.campaign_id, split)
    assert (row["status"], row["firmware_version"]) == ("activated", NEW_VERSION)
    hub = client.get(f"/api/v1/hubs/{split}", headers=estate.dcc).json()
    assert hub["firmware_version"] == NEW_VERSION  # the SMI is updated (BR5.6)

    n63 = alerts(container, "N63")
    by_hub: dict[str, list[str]] = {}
    for a in n63:
        by_hub.setdefault(a.texts("sr:DeviceID")[0], []).append(a.recipient)
        validate(a.doc)
        # The published DUIS 5.4 schema accepts our N63 as it stands.
        assert duis_5_4().validate(a.doc), duis_5_4().error_log
        assert a.texts("sr:FirmwareVersion") == [NEW_VERSION]
    assert sorted(by_hub[split]) == sorted([SUPPLIER_A, SUPPLIER_B])  # both suppliers, split hub
    assert by_hub[same] == [SUPPLIER_A]  # IS and GS the same party: one alert


def test_the_activation_alert_code_is_configurable(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: AH
    container.settings.activation_alert_code = "N64"
    s = campaign(client, estate, pilot=False)
    _advance(container, 1)
    g = s.hubs.elec[0]
    post_results(
        client,
        estate.csp_central,
        s.campaign_id,
        [result(g, "activated", START + timedelta(minutes=5), firmware_version=NEW_VERSION)],
    )
    assert [(a.code, a.recipient) for a in alerts(container, "N64")] == [("N64", SUPPLIER_ELEC)]
    assert alerts(container, "N63") == []


def test_failures_are_alerted_with_reasons_and_duplicates_change_nothing(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.4, BR5.2, X2, X3, X4
    s = campaign(client, estate, pilot=False)
    _advance(container, 3)
    at = START + timedelta(hours=2)
    bad = s.hubs.b_only[0]
    batch = [
        result(bad, "failed", at, reason_code="Timeout", reason="hub did not answer"),
        result(s.hubs.a_only[0], "activated", at, firmware_version=NEW_VERSION),
        result("00-00-00-00-00-00-00-01", "activated", at, firmware_version=NEW_VERSION),
        result(s.hubs.split_ab[0], "activated", at, firmware_version=NEW_VERSION),
        result(s.hubs.other_model[0], "activated", at, firmware_version=NEW_VERSION),
        result("not-a-guid", "activated", at, firmware_version=NEW_VERSION),
        result(s.hubs.a_only[1], "failed", at),
        result(s.hubs.a_only[2], "activated", START + timedelta(days=2), firmware_version="1"),
    ]
    report = post_results(client, estate.csp_central, s.campaign_id, batch)
    assert (report["accepted"], report["failed"], report["activated"]) == (2, 1, 1)
    assert [(x["index"], x["code"]) for x in report["rejected"]] == [
        (2, "unknown-hub"),
        (3, "not-your-network"),  # a North hub: CSP-C serves Central and South only
        (4, "not-in-campaign"),
        (5, "invalid"),
        (6, "invalid"),  # a failure gives its reason
        (7, "invalid"),  # in the future
    ]
    row = hub_row(container, s.campaign_id, bad)
    assert (row["status"], row["failure_reason"]) == ("failed", "hub did not answer")
    [n82] = alerts(container, "N82")
    validate(n82.doc)
    assert n82.recipient == SUPPLIER_B
    assert n82.texts("sr:ReasonCode") == ["Timeout"]
    assert n82.texts("sr:Reason") == ["hub did not answer"]

    before = len(alerts(container))
    again = post_results(client, estate.csp_central, s.campaign_id, batch[:2])
    assert (again["accepted"], again["duplicates"], again["alerts"]) == (0, 2, 0)
    assert len(alerts(container)) == before
    # A retry that succeeds later moves a failed hub on.
    later = post_results(
        client,
        estate.csp_central,
        s.campaign_id,
        [result(bad, "activated", at + timedelta(minutes=30), firmware_version=NEW_VERSION)],
    )
    assert later["activated"] == 1
    assert hub_row(container, s.campaign_id, bad)["status"] == "activated"


def test_pilot_results_feed_progress_and_enhanced_monitoring(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: BR2.4, AD11, X2, BR3.3
    s = campaign(client, estate)
    h = s.hubs
    pilot = h.a_only[:2] + h.b_only[:2]
    set_in_pilot(container, s.campaign_id, pilot)
    _advance(container, 5)
    t0 = START + timedelta(hours=1)
    post_results(
        client,
        estate.csp_central,
        s.campaign_id,
        [result(g, "distributed", t0) for g in pilot]
        + [
            result(h.a_only[0], "activated", t0 + timedelta(hours=1), firmware_version=NEW_VERSION),
            result(h.a_only[1], "activated", t0 + timedelta(hours=1), firmware_version=NEW_VERSION),
            result(
                h.b_only[0], "failed", t0 + timedelta(hours=2), reason_code="X1", reason="flash"
            ),
        ],
    )
    n74 = {a.recipient: a for a in alerts(container, "N74")}
    assert set(n74) == {SUPPLIER_A, SUPPLIER_B}  # at most one per supplier per upload
    a_body, b_body = n74[SUPPLIER_A], n74[SUPPLIER_B]
    for a in (a_body, b_body):
        validate(a.doc)
        assert a.texts("sr:Phase") == ["Progress"]
    assert (a_body.texts("sr:SucceededCount"), a_body.texts("sr:FailedCount")) == (["2"], ["0"])
    assert (b_body.texts("sr:SucceededCount"), b_body.texts("sr:FailedCount")) == (["0"], ["1"])
    assert b_body.texts("sr:PendingCount") == ["1"]
    assert b_body.texts("sr:DeviceID") == [h.b_only[0]]

    url = f"/api/v1/campaigns/{s.campaign_id}/pilot-monitoring"
    dcc = client.get(url, headers=estate.dcc).json()["items"]
    assert [i["guid"] for i in dcc] == sorted(pilot)
    first = next(i for i in dcc if i["guid"] == h.a_only[0])
    assert [r["outcome"] for r in first["results"]] == ["distributed", "activated"]
    assert first["seconds_distribution_to_activation"] == 3600
    mine = client.get(url, headers=estate.supplier_b).json()["items"]
    assert [i["guid"] for i in mine] == sorted(h.b_only[:2])
    failed = next(i for i in mine if i["guid"] == h.b_only[0])
    assert failed["status"] == "failed" and failed["failure_reason"] == "flash"
    assert "import_supplier" not in failed
    assert client.get(url, headers=estate.csp_central).status_code == 403
