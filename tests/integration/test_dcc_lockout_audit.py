"""The DCC cannot lock itself out through the API, and every change to a party's status or
keys is audited with the acting User ID and a mandatory reason (X1), on each backend."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chfw_api.bootstrap import Container
from chfw_api.cli import app
from chfw_api.domain.audit import AuditEntry
from chfw_api.domain.errors import DomainError
from chfw_api.domain.parties import Caller, LockOut, PartyKind, PartyStatus
from chfw_api.persistence.repositories.parties import PartyRepository
from chfw_api.services import parties as party_service
from tests.integration.conftest import DCC_ID, SUPPLIER_A, Estate

OTHER_DCC = "90-B3-D5-1F-30-00-00-09"


def audit(container: Container, code: str) -> list[AuditEntry]:
    with container.uow(read_only=True) as uow:
        return list(uow.audit.entries(subject=f"party:{code}"))


def key_ids(client: TestClient, estate: Estate, code: str) -> list[int]:
    keys = client.get(f"/api/v1/parties/{code}/keys", headers=estate.dcc).json()
    return [k["id"] for k in keys if k["revoked_at"] is None]


def revoke(client: TestClient, headers: dict[str, str], key_id: int, **body: Any) -> Any:
    return client.request("DELETE", f"/api/v1/keys/{key_id}", headers=headers, json=body)


def set_status(client: TestClient, headers: dict[str, str], code: str, **body: Any) -> Any:
    return client.put(f"/api/v1/parties/{code}/status", headers=headers, json=body)


def test_the_dcc_cannot_revoke_its_last_key_and_may_once_it_has_another(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X1
    (only,) = key_ids(client, estate, DCC_ID)
    r = revoke(client, estate.dcc, only, reason="tidying up")
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/lock-out") and "last live key" in r.json()["detail"]
    assert client.get("/api/v1/parties", headers=estate.dcc).status_code == 200
    assert [e.record.action for e in audit(container, DCC_ID)] == [
        "party.registered",
        "api_key.issued",
    ]

    fresh = client.post(f"/api/v1/parties/{DCC_ID}/keys", headers=estate.dcc, json={}).json()
    r = revoke(client, estate.dcc, only, reason="rotated after the operator left")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert client.get("/api/v1/parties", headers=estate.dcc).status_code == 401
    new_key = {"Authorization": f"Bearer {fresh['key']}"}
    assert client.get("/api/v1/parties", headers=new_key).status_code == 200
    issued, revoked = audit(container, DCC_ID)[-2:]
    assert (issued.record.action, issued.record.actor) == ("api_key.issued", DCC_ID)
    assert (revoked.record.action, revoked.record.actor) == ("api_key.revoked", DCC_ID)
    assert revoked.record.reason == "rotated after the operator left"
    assert revoked.record.after is not None and revoked.record.after["key_id"] == only


def test_the_dcc_cannot_suspend_itself(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X1
    r = set_status(client, estate.dcc, DCC_ID, status="suspended", reason="testing")
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("/lock-out") and "cannot suspend itself" in r.json()["detail"]
    assert client.get(f"/api/v1/parties/{DCC_ID}", headers=estate.dcc).json()["status"] == "active"


def test_the_last_active_dcc_party_with_a_key_is_never_suspended(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X1
    operator = Caller(party_id=0, kind=PartyKind.DCC, code="cli:ops")
    with pytest.raises(LockOut, match="only active DCC party with a live API key"):
        party_service.set_status(
            container.uow(), container.clock, caller=operator, code=DCC_ID,
            status=PartyStatus.SUSPENDED, reason="by mistake",
        )  # fmt: skip
    # With a second DCC party holding a key, either may suspend the other; never itself.
    body = {"kind": "dcc", "code": OTHER_DCC, "name": "DCC night shift"}
    assert client.post("/api/v1/parties", headers=estate.dcc, json=body).status_code == 201
    other = client.post(f"/api/v1/parties/{OTHER_DCC}/keys", headers=estate.dcc, json={}).json()
    other_headers = {"Authorization": f"Bearer {other['key']}"}
    r = set_status(client, other_headers, DCC_ID, status="suspended", reason="leaver")
    assert r.status_code == 200, r.text
    # Now OTHER_DCC is the only active DCC party with a key: it cannot go either.
    r = set_status(client, other_headers, OTHER_DCC, status="suspended", reason="oops")
    assert r.status_code == 409
    with pytest.raises(LockOut):
        party_service.set_status(
            container.uow(), container.clock, caller=operator, code=OTHER_DCC,
            status=PartyStatus.SUSPENDED, reason="by mistake",
        )  # fmt: skip


@pytest.mark.parametrize("reason", [None, "", "   \t"], ids=["missing", "empty", "blank"])
def test_a_reason_is_required_and_without_one_nothing_changes(
    client: TestClient, estate: Estate, container: Container, reason: str | None
) -> None:
    # covers: X1, X5
    spare = client.post(f"/api/v1/parties/{SUPPLIER_A}/keys", headers=estate.dcc, json={}).json()
    before = audit(container, SUPPLIER_A)
    body = {} if reason is None else {"reason": reason}
    r = revoke(client, estate.dcc, spare["id"], **body)
    assert r.status_code == 422, r.text
    assert any("reason" in e["location"] for e in r.json()["errors"])
    r = set_status(client, estate.dcc, SUPPLIER_A, status="suspended", **body)
    assert r.status_code == 422, r.text
    assert client.get(
        "/api/v1/hubs", headers={"Authorization": f"Bearer {spare['key']}"}
    ).is_success
    assert client.get("/api/v1/hubs", headers=estate.supplier_a).is_success
    assert audit(container, SUPPLIER_A) == before
    # The use case refuses a blank reason itself too (the CLI and other callers).
    operator = Caller(party_id=0, kind=PartyKind.DCC, code="cli:ops")
    with pytest.raises(DomainError, match="needs a reason"):
        party_service.revoke_key(
            container.uow(), container.clock, caller=operator, key_id=spare["id"], reason=" "
        )


def test_status_changes_are_audited_with_the_user_id_and_reason_and_the_chain_holds(
    client: TestClient, estate: Estate, container: Container, database_url: str
) -> None:
    # covers: X1
    r = set_status(client, estate.dcc, SUPPLIER_A, status="suspended", reason="contract ended")
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert client.get("/api/v1/hubs", headers=estate.supplier_a).status_code == 403
    r = set_status(client, estate.dcc, SUPPLIER_A, status="active", reason="contract renewed")
    assert r.status_code == 200 and r.json()["status"] == "active"
    # Setting the status it already has changes nothing and records nothing.
    assert set_status(client, estate.dcc, SUPPLIER_A, status="active", reason="again").is_success
    changes = [
        e.record for e in audit(container, SUPPLIER_A) if e.record.action.startswith("party.")
    ]
    active, suspended = {"status": "active"}, {"status": "suspended"}
    assert [(c.action, c.actor, c.reason, c.before, c.after) for c in changes] == [
        ("party.registered", "dcc", "", None, changes[0].after),
        ("party.suspended", DCC_ID, "contract ended", active, suspended),
        ("party.reactivated", DCC_ID, "contract renewed", suspended, active),
    ]
    r = CliRunner().invoke(app, ["audit", "verify", "--database-url", database_url])
    assert r.exit_code == 0 and "intact" in r.output, r.output


def test_two_concurrent_revocations_of_the_last_two_keys_cannot_both_succeed(
    estate: Estate, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # covers: X1
    second = party_service.issue_key(container.uow(), container.clock, party_code=DCC_ID)
    with container.uow(read_only=True) as uow:
        party = uow.parties.get_by_code(DCC_ID)
        assert party is not None
        ids = [k.id for k in uow.parties.keys_of(party.id) if k.revoked_at is None]
    assert len(ids) == 2 and second.id in ids
    # Widen the window between counting the live keys and revoking one: without the lock
    # both revocations would count two live keys and both go ahead.
    counted = PartyRepository.live_keys

    def slow_count(self: PartyRepository, party_id: int) -> int:
        n = counted(self, party_id)
        time.sleep(0.3)
        return n

    monkeypatch.setattr(PartyRepository, "live_keys", slow_count)
    operator = Caller(party_id=0, kind=PartyKind.DCC, code=DCC_ID)
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def revoke_one(key_id: int) -> None:
        start.wait()
        try:
            party_service.revoke_key(
                container.uow(), container.clock, caller=operator, key_id=key_id, reason="race"
            )
            outcomes[key_id] = "revoked"
        except LockOut:
            outcomes[key_id] = "refused"

    threads = [threading.Thread(target=revoke_one, args=(k,)) for k in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["refused", "revoked"]
    with container.uow(read_only=True) as uow:
        assert uow.parties.live_keys(party.id) == 1


def test_cli_revoke_key_needs_a_reason_refuses_the_dcc_s_last_key_and_is_audited(
    tmp_path: Path, estate: Estate, container: Container, database_url: str, client: TestClient
) -> None:
    # covers: X1
    db = ["--database-url", database_url]
    runner = CliRunner()
    (dcc_key,) = key_ids(client, estate, DCC_ID)
    r = runner.invoke(app, ["parties", "revoke-key", str(dcc_key), *db])
    assert r.exit_code != 0 and "--reason" in r.output
    r = runner.invoke(app, ["parties", "revoke-key", str(dcc_key), "--reason", "cleanup", *db])
    assert r.exit_code == 1 and "last live key" in r.output
    (supplier_key,) = key_ids(client, estate, SUPPLIER_A)
    r = runner.invoke(app, ["parties", "revoke-key", str(supplier_key), "--reason", "leak", *db])
    assert r.exit_code == 0, r.output
    last = audit(container, SUPPLIER_A)[-1].record
    assert last.action == "api_key.revoked" and last.reason == "leak"
    assert last.actor.startswith("cli:")
