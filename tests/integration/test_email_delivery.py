"""Email notices end to end (issue #14): queued in the transaction of the event, sent by the
worker's job over SMTP to a real server on loopback (aiosmtpd), retried while the server is down,
dead-lettered and replayed; DKIM-signed and verified with dkimpy when a key is configured."""

from __future__ import annotations

import base64
import random
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from chfw_api.bootstrap import Container
from chfw_api.demo.mailserver import MailServer
from chfw_api.domain.campaign import events as ev
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.email_outbox import EmailState
from chfw_api.domain.retry import RetryPolicy
from chfw_api.domain.stages import Stage
from chfw_api.mail.dkim import DkimSigner
from chfw_api.mail.job import counted
from chfw_api.mail.smtp import SmtpConfig, SmtpSender, sender_from
from chfw_api.services import email_contacts as contacts
from chfw_api.services.email_delivery import (
    SendReport,
    dead_letters,
    replay_dead_letters,
    send_due_emails,
)
from chfw_api.services.email_notices import queue_emails_for
from tests.integration.campaign_fixtures import (
    NEW_VERSION,
    create_campaign,
    create_release,
    load_hubs,
)
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B, Estate
from tests.integration.csp_fixtures import campaign as csp_campaign
from tests.integration.csp_fixtures import post_results, result

POLICY = RetryPolicy((60.0, 120.0), jitter=0.0)


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def _sender(mail: MailServer, signer: DkimSigner | None = None) -> SmtpSender:
    return SmtpSender(SmtpConfig(mail.host, mail.port, timeout=5), sender="n@dcc.example",
                      dkim=signer)  # fmt: skip


def _send(c: Container, sender: SmtpSender) -> SendReport:
    return send_due_emails(c.uow, c.clock, sender.send, policy=POLICY, rng=random.Random(1))


def _campaign_with_contacts(client: TestClient, estate: Estate, c: Container) -> str:
    """A notified campaign; contacts added after, so only the direct call below queues."""
    load_hubs(client, estate)
    cid = str(create_campaign(client, estate, create_release(client, estate))["campaign_id"])
    add = contacts.add_contact
    add(c.uow(), c.clock, party_code=SUPPLIER_A, address="ops@alpha.example", name="Alpha Ops",
        actor=DCC_ID)  # fmt: skip
    add(c.uow(), c.clock, party_code=SUPPLIER_A, address="cto@alpha.example",
        notices=["N70", "N81"], actor=DCC_ID)  # fmt: skip
    add(c.uow(), c.clock, party_code=SUPPLIER_B, address="rollout@beta.example", actor=DCC_ID)
    return cid


def _queue(c: Container, cid: str, event: ev.CampaignEvent, superseding: str | None = None) -> int:
    with c.uow() as uow:
        campaign = uow.campaigns.get(cid)
        assert campaign is not None
        release = uow.releases.find(
            campaign.release.manufacturer, campaign.release.model, campaign.release.version
        )
        assert release is not None
        n = queue_emails_for(uow, [event], campaign=campaign, release=release, now=c.clock.now(),
                             superseding_version=superseding)  # fmt: skip
        uow.commit()
    return n


def _notified(c: Container, cid: str) -> ev.CampaignNotified:
    with c.uow(read_only=True) as uow:
        campaign = uow.campaigns.get(cid)
        assert campaign is not None
    return ev.CampaignNotified(
        campaign_id=cid, at=c.clock.now(), actor=DCC_ID, reason="CPL entry approved", before=None,
        after=Stage.NOTIFIED, automatic_deployment_date=campaign.automatic_deployment_date,
        pilot_planned=campaign.pilot_planned,
    )  # fmt: skip


def test_a01_reaches_each_contact_with_only_its_suppliers_facts(
    client: TestClient, estate: Estate, container: Container, mail: MailServer
) -> None:
    # covers: A01
    cid = _campaign_with_contacts(client, estate, container)
    assert _queue(container, cid, _notified(container, cid)) == 3
    assert _send(container, _sender(mail)) == SendReport(sent=3)
    by_to = {r.rcpt_tos[0]: r.message for r in mail.received}
    assert set(by_to) == {"ops@alpha.example", "cto@alpha.example", "rollout@beta.example"}
    alpha = by_to["ops@alpha.example"]
    assert alpha["Subject"] == f"[N70] {cid}: firmware update available (KC-200 0100A300)"
    assert alpha["To"] == "Alpha Ops <ops@alpha.example>"
    assert alpha["X-CHFW-Supplier"] == SUPPLIER_A
    plain = alpha.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = alpha.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # Alpha: 5 own hubs (IS and GS) + 4 split (IS only) = 9 as IS, 5 as GS
    for text in (plain, html):
        assert "Kelvin Cellular KC-200 firmware 0100A300" in text and "High" in text
        assert "Your eligible hubs as Import Supplier" in text and "9" in text
        assert "05 Jul 2026" in text  # the automatic date
        assert "Beta" not in text and SUPPLIER_B not in text
    beta = by_to["rollout@beta.example"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Alpha" not in beta and SUPPLIER_A not in beta
    # the same notice again is not queued twice: its Message-ID is already in the outbox
    assert _queue(container, cid, _notified(container, cid)) == 3
    assert _send(container, _sender(mail)) == SendReport()
    assert len({r.message["Message-ID"] for r in mail.received}) == 3


def test_contacts_get_only_the_notice_kinds_they_ask_for(
    client: TestClient, estate: Estate, container: Container, mail: MailServer
) -> None:
    # covers: A06, A07, A11, A12
    cid = _campaign_with_contacts(client, estate, container)
    at = container.clock.now()
    common = {"campaign_id": cid, "at": at, "actor": DCC_ID, "reason": "DCC's review"}
    events: list[tuple[ev.CampaignEvent, str]] = [
        (ev.PilotSucceeded(**common, before=Stage.PILOTING, after=Stage.SAFE_LAUNCHING,
                           early=False), "pilot succeeded"),
        (ev.PilotFailed(**common, before=Stage.PILOTING, after=Stage.STOPPED), "pilot failed"),
        (ev.CampaignClosed(**common, before=Stage.COMPLETED, after=Stage.CLOSED),
         "campaign closed"),
        (ev.CampaignSuperseded(**common, before=Stage.NOTIFIED, after=Stage.SUPERSEDED,
                               superseded_by="CMP-000099"), "superseded by a newer release"),
    ]  # fmt: skip
    for event, _ in events:
        assert _queue(container, cid, event, superseding="0100A301") == 2  # not the N70+N81 one
    assert _send(container, _sender(mail)).sent == 8
    subjects = sorted(str(r.message["Subject"]) for r in mail.received)
    for _, title in events:
        assert sum(f": {title} (" in s for s in subjects) == 2, title
    assert not any(r.rcpt_tos == ("cto@alpha.example",) for r in mail.received)
    superseded = next(r.message for r in mail.received if "superseded" in r.message["Subject"])
    text = superseded.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "CMP-000099" in text and "0100A301" in text and "DCC's review" in text


def _contact_id(client: TestClient, estate: Estate, address: str) -> int:
    r = client.get(f"/api/v1/parties/{SUPPLIER_A}/email-contacts", headers=estate.dcc)
    return int(next(c["id"] for c in r.json() if c["address"] == address))


def test_nothing_is_lost_while_the_smtp_server_is_down(
    client: TestClient, estate: Estate, container: Container, mail: MailServer
) -> None:
    cid = _campaign_with_contacts(client, estate, container)
    ops = _contact_id(client, estate, "ops@alpha.example")
    labels = {"party": SUPPLIER_A, "contact": str(ops)}
    before = REGISTRY.get_sample_value("chfw_email_failures_total", labels) or 0.0
    send = counted(_sender(mail))

    def run() -> SendReport:
        return send_due_emails(container.uow, container.clock, send, policy=POLICY,
                               rng=random.Random(1))  # fmt: skip

    _queue(container, cid, _notified(container, cid))
    assert run() == SendReport(sent=3)  # A01 to all three contacts
    mail.stop()  # mid-run: the server goes away, the campaign goes on
    closed = ev.CampaignClosed(
        campaign_id=cid, at=container.clock.now(), actor=DCC_ID, reason="done",
        before=Stage.COMPLETED, after=Stage.CLOSED,
    )  # fmt: skip
    assert _queue(container, cid, closed) == 2  # A11 to ops@alpha and rollout@beta
    assert run() == SendReport(retrying=2)
    assert len(mail.received) == 3
    assert REGISTRY.get_sample_value("chfw_email_failures_total", labels) == before + 1
    scrape = client.get("/metrics", headers=estate.dcc).text
    assert f'chfw_email_failures_total{{contact="{ops}",party="{SUPPLIER_A}"}}' in scrape
    clock = container.clock
    assert isinstance(clock, FakeClock)
    mail.start()
    assert run() == SendReport()  # not due yet: the back-off holds
    clock.advance(timedelta(seconds=61))
    assert run() == SendReport(sent=2)
    assert run() == SendReport()
    ids = [str(r.message["Message-ID"]) for r in mail.received]
    assert len(ids) == len(set(ids)) == 5  # every email once, none lost
    assert sum("[N78]" in r.message["Subject"] for r in mail.received) == 2
    with container.uow(read_only=True) as uow:
        rows = uow.emails.records()
        failures = {f.address: f.failures for f in uow.emails.contact_failures()}
    assert {r.state for r in rows} == {EmailState.SENT}
    assert sorted(r.attempts for r in rows) == [1, 1, 1, 2, 2]
    assert failures == {
        "ops@alpha.example": 1, "cto@alpha.example": 0, "rollout@beta.example": 1
    }  # fmt: skip


def test_dead_letters_are_replayed_with_the_same_message_id(
    client: TestClient, estate: Estate, container: Container, mail: MailServer
) -> None:
    cid = _campaign_with_contacts(client, estate, container)
    mail.stop()
    _queue(container, cid, _notified(container, cid))
    clock = container.clock
    assert isinstance(clock, FakeClock)
    for _ in range(POLICY.max_attempts):
        _send(container, _sender(mail))
        clock.advance(timedelta(seconds=121))
    dead = dead_letters(container.uow())
    assert len(dead) == 3 and all("gave up after 3 attempts" in (d.last_error or "") for d in dead)
    listed = client.get("/api/v1/email/dead-letters", headers=estate.dcc).json()
    assert [d["message_id"] for d in listed] == [d.message_id for d in dead]
    assert client.get("/api/v1/email/dead-letters", headers=estate.supplier_a).status_code == 403
    mail.start()
    r = client.post("/api/v1/email/dead-letters/replay", headers=estate.dcc,
                    json={"ids": [dead[0].id]})  # fmt: skip
    assert r.status_code == 200 and r.json() == {"replayed": 1}
    assert _send(container, _sender(mail)) == SendReport(sent=1)
    assert mail.received[0].message["Message-ID"] == dead[0].message_id
    assert replay_dead_letters(container.uow(), clock, ids=None, actor=DCC_ID) == 2
    assert _send(container, _sender(mail)) == SendReport(sent=2)
    assert dead_letters(container.uow()) == []


def test_dkim_signature_verifies(
    client: TestClient, estate: Estate, container: Container, mail: MailServer, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    s = serialization
    pem = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption())
    public = key.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
    cid = _campaign_with_contacts(client, estate, container)
    _queue(container, cid, _notified(container, cid))
    (tmp_path / "dkim.pem").write_bytes(pem)
    settings = container.settings.model_copy(
        update={"smtp_host": mail.host, "smtp_port": mail.port, "dkim_selector": "notices",
                "dkim_key_file": tmp_path / "dkim.pem", "email_from": "n@dcc.example"}
    )  # fmt: skip
    sender = sender_from(settings)  # as the worker's job builds it from CHFW_* settings
    assert sender is not None and sender_from(container.settings) is None
    _send(container, sender)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"notices._domainkey.dcc.example."
        return record

    assert len(mail.received) == 3
    for r in mail.received:
        assert r.data.startswith(b"DKIM-Signature:")
        assert dkim.verify(r.data, dnsfunc=dns)
        assert not dkim.verify(r.data.replace(b"KC-200", b"KC-201"), dnsfunc=dns)


def test_campaign_moves_email_each_contact_through_the_handler_table(
    client: TestClient, estate: Estate, container: Container, mail: MailServer
) -> None:
    # covers: A01, A12
    load_hubs(client, estate)
    add = contacts.add_contact
    c = container
    add(c.uow(), c.clock, party_code=SUPPLIER_A, address="ops@alpha.example", actor=DCC_ID)
    add(c.uow(), c.clock, party_code=SUPPLIER_B, address="rollout@beta.example", actor=DCC_ID)
    old = create_campaign(client, estate, create_release(client, estate))["campaign_id"]
    new = create_campaign(client, estate, create_release(client, estate, version="0100A400"))
    assert new["superseded"] == [old]
    assert _send(c, _sender(mail)) == SendReport(sent=6)  # N70 (old), N79 (old), N70 (new)
    got = sorted((r.rcpt_tos[0], str(r.message["Subject"])) for r in mail.received)
    assert [s for to, s in got if to == "ops@alpha.example"] == sorted([
        f"[N70] {old}: firmware update available (KC-200 0100A300)",
        f"[N79] {old}: superseded by a newer release (KC-200 0100A300)",
        f"[N70] {new['campaign_id']}: firmware update available (KC-200 0100A400)",
    ])  # fmt: skip
    # each email is named by the DCC Alert it mirrors (the supplier's feed shows its ID)
    feed = client.get("/api/v1/feed", headers=estate.supplier_a, params={"code": "N79"}).json()
    alert_id = feed["items"][0]["alert_id"]
    n79 = next(r.message for r in mail.received if r.rcpt_tos == ("ops@alpha.example",)
               and "[N79]" in r.message["Subject"])  # fmt: skip
    assert n79["Message-ID"].startswith(f"<N79.{old}.{alert_id.replace(':', '.')}.")
    text = n79.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert new["campaign_id"] in text and "0100A400" in text


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    s = serialization
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(s.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
    return cert_path, key_path


def test_starttls_and_authentication(
    client: TestClient, estate: Estate, container: Container, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = MailServer(tls=tls, login=("dcc-notices", "s3cret")).start()
    try:
        cid = _campaign_with_contacts(client, estate, container)
        _queue(container, cid, _notified(container, cid))

        def sender(password: str, starttls: bool = True) -> SmtpSender:
            # (aiosmtpd holds a refused login open until the client's timeout: keep it short)
            config = SmtpConfig(server.host, server.port, starttls=starttls, timeout=1,
                                username="dcc-notices", password=password,
                                ca_file=cert)  # fmt: skip
            return SmtpSender(config, sender="n@dcc.example")

        assert _send(container, sender("wrong")) == SendReport(retrying=3)
        assert _send(container, sender("s3cret", starttls=False)) == SendReport()  # not due
        clock = container.clock
        assert isinstance(clock, FakeClock)
        clock.advance(timedelta(seconds=61))
        assert _send(container, sender("s3cret", starttls=False)) == SendReport(retrying=3)
        clock.advance(timedelta(seconds=121))
        assert _send(container, sender("s3cret")) == SendReport(sent=3)
        with container.uow(read_only=True) as uow:
            rows = uow.emails.records()
        assert {(r.state, r.attempts) for r in rows} == {(EmailState.SENT, 3)}
        assert len(server.received) == 3
    finally:
        server.stop()


def test_a_guardrail_pause_is_emailed_to_contacts_asking_for_n81(
    client: TestClient, estate: Estate, container: Container, mail: MailServer
) -> None:
    setup = csp_campaign(client, estate, pilot=False)
    c, h, cid = container, setup.hubs, setup.campaign_id
    add = contacts.add_contact
    add(c.uow(), c.clock, party_code=SUPPLIER_A, address="ops@alpha.example", actor=DCC_ID)
    add(c.uow(), c.clock, party_code=SUPPLIER_A, address="cto@alpha.example",
        notices=["N81"], actor=DCC_ID)  # fmt: skip
    rules = {"rules": [{"stage": "SafeLaunch", "dimension": "region", "max_failure_rate": 0.2,
                        "min_sample": 4}], "reason": "tight"}  # fmt: skip
    r = client.put(f"/api/v1/campaigns/{cid}/guardrails", headers=estate.dcc, json=rules)
    assert r.status_code == 200, r.text
    clock = c.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(hours=3))
    at = clock.now() - timedelta(hours=2)
    fail = {"reason_code": "Timeout", "reason": "no answer"}
    batch = [result(g, "failed", at, **fail) for g in h.a_only[:3]]
    batch += [result(g, "activated", at, firmware_version=NEW_VERSION) for g in h.a_only[3:5]]
    report = post_results(client, estate.csp_central, cid, batch)
    assert report["paused_slices"] == ["SafeLaunch/region/Central"]
    assert _send(c, _sender(mail)) == SendReport(sent=1)  # only the contact asking for N81
    [got] = mail.received
    assert got.rcpt_tos == ("cto@alpha.example",)
    assert got.message["Subject"].startswith(f"[N81] {cid}: rollout decision: pause")
    text = got.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Your pending instructions are held until DCC resumes the rollout." in text
