"""DCC's XML signature on alerts (issue #5): with a signing key configured, every alert a
webhook or the pull feed carries is XML-signed (enveloped, ECDSA-SHA256, exclusive C14N) and
the Standard Webhooks signature covers the signed body; without one, bodies are as stored.

The key and certificate are generated for the run. Signatures are checked twice: with our own
verifier and independently with signxml against the certificate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from lxml import etree
from signxml import XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.verifier import SignatureConfiguration
from typer.testing import CliRunner

from chfw_api import cli
from chfw_api.api import logging as api_logging
from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.delivery import runner
from chfw_api.delivery.config import WorkerReport
from chfw_api.delivery.receiver import Receiver, Reply
from chfw_api.delivery.runner import run, serve_worker
from chfw_api.domain.alerts import AlertEnvelope, HubActivated
from chfw_api.domain.clock import FakeClock
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis import ALERT_BATCH, NS_DS, RESPONSE, render_alert
from chfw_api.duis.schema import validate
from chfw_api.duis.signature import ECDSA_SHA256, ENVELOPED, EXC_C14N, SHA256, verify_request
from tests.conftest import START, duis_5_4_path, wipe
from tests.integration.conftest import SUPPLIER_A, Estate
from tests.integration.test_delivery_worker import (
    clock,
    raise_alerts,
    register,
    scripted,
    verify,
)
from tests.unit.test_duis_signature import Credentials, _credentials

FEED = "/api/v1/feed"
DS = f"{{{NS_DS}}}"


@cache
def dcc() -> Credentials:
    """DCC's throwaway signing key (ECDSA P-256) and its self-signed certificate."""
    return _credentials(ec.generate_private_key(ec.SECP256R1()), issuer="DCC", serial=4242)


def key_files(directory: Path) -> tuple[Path, Path]:
    key, cert = directory / "dcc-key.pem", directory / "dcc-cert.pem"
    key.write_bytes(dcc().key_pem)
    cert.write_bytes(dcc().cert_pem)
    return key, cert


@pytest.fixture
def sign_alerts() -> bool:
    """Whether the container is given DCC's signing key (parametrise to False for none)."""
    return True


@pytest.fixture
def container(database_url: str, tmp_path: Path, sign_alerts: bool) -> Iterator[Container]:
    """The delivery tests' container (loopback receivers), with DCC's key."""
    key, cert = key_files(tmp_path) if sign_alerts else (None, None)
    settings = Settings(
        database_url=database_url,
        max_body_bytes=64 * 1024,
        webhook_allowed_networks=["127.0.0.0/8"],
        # Generous: these tests are about signatures, and a loaded CI machine (three test
        # lanes on two cores) once took longer than 0.5 s to answer a loopback POST.
        webhook_timeout_seconds=30.0,
        webhook_connect_timeout_seconds=10.0,
        delivery_lease_seconds=120,  # outlasts the request timeout, as Settings requires
        delivery_poll_seconds=0.05,
        dcc_signing_key_file=key,
        dcc_signing_cert_file=cert,
    )
    c = build(settings, clock=FakeClock(START))
    wipe(c.engine)
    yield c
    c.dispose()


def deliver(c: Container) -> WorkerReport:
    """`chfw worker --once`, wired as the CLI wires it: the container's body signer."""
    return run(serve_worker(c, once=True, handle_signals=False, sign_body=c.alert_body_signer))


def stored_bodies(c: Container) -> dict[str, bytes]:
    """The outbox's unsigned alert documents by ResponseID."""
    with c.uow(read_only=True) as uow:
        bodies = [body.encode() for _, body in uow.outbox.bodies()]
    return {response_id(b): b for b in bodies}


def response_id(document: bytes | etree._Element) -> str:
    root = etree.fromstring(document) if isinstance(document, bytes) else document
    found = root.findtext("{*}Header/{*}ResponseID")
    assert found is not None
    return found


def c14n(document: bytes | etree._Element) -> bytes:
    root = etree.fromstring(document) if isinstance(document, bytes) else document
    return etree.tostring(root, method="c14n", exclusive=True)


def check_signed(document: bytes, unsigned: bytes) -> None:
    """`document` is `unsigned` plus DCC's signature in our scheme: our verifier accepts it,
    and so does signxml on its own, which finds exactly `unsigned` signed."""
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert document != unsigned
    verify_request(document, dcc().cert_pem)

    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        expect_references=1,
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    result: Any = XMLVerifier().verify(
        document, x509_cert=dcc().cert_pem.decode(), expect_config=config
    )
    assert c14n(result.signed_xml) == c14n(unsigned)
    info = result.signature_xml.find(f"{DS}SignedInfo")
    assert info.find(f"{DS}CanonicalizationMethod").get("Algorithm") == EXC_C14N
    assert info.find(f"{DS}SignatureMethod").get("Algorithm") == ECDSA_SHA256
    reference = info.find(f"{DS}Reference")
    assert reference.get("URI") == ""
    transforms = [t.get("Algorithm") for t in reference.iter(f"{DS}Transform")]
    assert transforms == [ENVELOPED, EXC_C14N]
    assert reference.find(f"{DS}DigestMethod").get("Algorithm") == SHA256
    # Enveloped: the signature is the last child of the alert's own root.
    root = etree.fromstring(document)
    assert root.tag == RESPONSE and root[-1].tag == f"{DS}Signature"
    serial = root.findtext(f".//{DS}X509SerialNumber")
    assert serial == str(dcc().cert.serial_number)


@cache
def duis_5_4() -> etree.XMLSchema:
    """The published DUIS 5.4 schema, loaded from the shared copy (never copied here)."""
    return etree.XMLSchema(etree.parse(str(duis_5_4_path())))


def feed(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get(FEED, headers=headers, params={"limit": 100})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- webhooks


def test_a_webhook_carries_the_xml_signed_alert_and_the_webhook_signature_covers_it(
    client: TestClient, estate: Estate, container: Container
) -> None:
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url())
        ids = raise_alerts(container, SUPPLIER_A, 3)
        report = deliver(container)
    assert report.delivered == 3 and len(r.requests) == 3
    stored = stored_bodies(container)
    for request in r.requests:
        alert_id = request.headers["webhook-id"]
        assert response_id(request.body) == alert_id
        check_signed(request.body, stored[alert_id])
        verify(ep["secret"], request, START)  # standardwebhooks (and Svix) over the signed body
    assert sorted(q.headers["webhook-id"] for q in r.requests) == sorted(ids)


def test_a_batch_signs_each_alert_on_its_own(
    client: TestClient, estate: Estate, container: Container
) -> None:
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url(), batch_size=5)
        raise_alerts(container, SUPPLIER_A, 3)
        deliver(container)
    [request] = r.requests
    verify(ep["secret"], request, START)
    batch = etree.fromstring(request.body)
    assert batch.tag == ALERT_BATCH
    validate(batch)
    stored = stored_bodies(container)
    for alert in batch:
        # A consumer re-serialises each sr:Response as a document of its own to verify it.
        alone = etree.tostring(alert, xml_declaration=True, encoding="UTF-8")
        check_signed(alone, stored[response_id(alert)])


def test_a_retry_carries_the_same_signed_bytes(
    client: TestClient, estate: Estate, container: Container
) -> None:
    with Receiver(respond=scripted(Reply(503))) as r:
        ep = register(client, estate.supplier_a, r.url())
        [alert_id] = raise_alerts(container, SUPPLIER_A, 1)
        deliver(container)
        later = clock(container).advance(timedelta(minutes=10))
        deliver(container)
    first, retry = r.requests
    assert first.headers["webhook-id"] == retry.headers["webhook-id"] == alert_id
    assert first.body == retry.body  # deterministic ECDSA (RFC 6979): byte-identical attempts
    check_signed(retry.body, stored_bodies(container)[alert_id])
    verify(ep["secret"], retry, later)


# ---------------------------------------------------------------------- pull feed


def test_the_feed_serves_the_same_signed_xml(
    client: TestClient, estate: Estate, container: Container
) -> None:
    raise_alerts(container, SUPPLIER_A, 3)
    items = feed(client, estate.supplier_a)
    assert len(items) == 3
    stored = stored_bodies(container)
    signer = container.alert_body_signer
    assert signer is not None
    for item in items:
        xml = item["xml"].encode()
        check_signed(xml, stored[item["alert_id"]])
        assert xml == signer(stored[item["alert_id"]])  # what a webhook carries, byte for byte
    assert feed(client, estate.supplier_a) == items  # re-reading gives the same bytes


def test_a_signed_n63_still_validates_against_published_duis_5_4(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: AH -- the per-hub activation alert stays DUIS 5.4's own, signature included
    schema = duis_5_4()  # skips when the published schema is not there
    raise_alerts(container, SUPPLIER_A, 2)
    items = feed(client, estate.supplier_a)
    assert [i["code"] for i in items] == ["N63", "N63"]
    for item in items:
        root = etree.fromstring(item["xml"].encode())
        assert root[-1].tag == f"{DS}Signature"
        schema.assertValid(root)


# ---------------------------------------------------------------------- no key


@pytest.mark.parametrize("sign_alerts", [False])
def test_without_a_key_bodies_are_sent_and_served_as_stored(
    client: TestClient, estate: Estate, container: Container
) -> None:
    assert container.alert_body_signer is None
    with Receiver() as r:
        ep = register(client, estate.supplier_a, r.url())
        raise_alerts(container, SUPPLIER_A, 2)
        deliver(container)
    stored = stored_bodies(container)
    assert len(r.requests) == 2
    for request in r.requests:
        assert request.body == stored[request.headers["webhook-id"]]
        assert b"Signature" not in request.body
        verify(ep["secret"], request, START)
    assert {i["alert_id"]: i["xml"].encode() for i in feed(client, estate.supplier_a)} == stored


# ---------------------------------------------------------------------- wiring of `chfw worker`


@pytest.mark.parametrize("configured", [True, False], ids=["key", "no-key"])
def test_chfw_worker_hands_the_containers_signer_to_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    seen: dict[str, Any] = {}

    async def fake_serve_worker(container: Container, **kwargs: Any) -> WorkerReport:
        seen.update(kwargs)
        return WorkerReport()

    monkeypatch.setattr(runner, "serve_worker", fake_serve_worker)
    monkeypatch.setattr(api_logging, "configure", lambda level: None)
    env = {"CHFW_DCC_SIGNING_KEY_FILE": None, "CHFW_DCC_SIGNING_CERT_FILE": None}
    if configured:
        key, cert = key_files(tmp_path)
        env = {"CHFW_DCC_SIGNING_KEY_FILE": str(key), "CHFW_DCC_SIGNING_CERT_FILE": str(cert)}
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    r = CliRunner().invoke(cli.app, ["worker", "--once", "--database-url", db], env=env)
    assert r.exit_code == 0, r.output
    if not configured:
        assert seen["sign_body"] is None
        return
    sign = seen["sign_body"]
    envelope = AlertEnvelope(
        f"90-B3-D5-1F-30-00-00-02:{SUPPLIER_A}:1",
        "N63",
        SUPPLIER_A,
        START,
        HubActivated(guid_from_int(1), "0100A2F3"),
    )
    unsigned = render_alert(envelope)
    check_signed(sign(unsigned), unsigned)
