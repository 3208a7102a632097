"""Private output stays private and DCC's signing key is taken as operators have it: 11.8
report files are 0600; the alert signing key and certificate may be PEM or DER; a key that
cannot be used, or only one of the two settings, is one line on stderr, not a traceback."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chfw_api import cli
from chfw_api.api import logging as api_logging
from chfw_api.bootstrap import Container
from chfw_api.delivery import runner
from chfw_api.delivery.config import WorkerReport
from chfw_api.duis.alert_signing import make_body_signer
from chfw_api.duis.keys import generate_signing_identity
from chfw_api.duis.signature import verify_request
from chfw_api.services import estate_status
from tests.integration import sr_builder as sr
from tests.integration.campaign_fixtures import load_hubs
from tests.integration.conftest import DCC_ID, SUPPLIER_A, Estate

ALERT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">'
    b"<sr:Header/></sr:Response>"
)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual default: without an explicit mode, new files come out world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_an_asynchronous_report_file_is_readable_by_its_owner_only(
    client: TestClient,
    estate: Estate,
    container: Container,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    umask_022: None,
) -> None:
    # covers: BR5.3, X2
    load_hubs(client, estate)
    monkeypatch.setattr(estate_status, "SYNC_LIMIT", 1)
    r, doc = sr.post(client, estate.supplier_a, sr.envelope(SUPPLIER_A, "11.8", sr.status()))
    assert sr.code(doc) == "I99", r.text
    report_id = doc.findtext(".//sr:ReportID", namespaces=sr.NS)
    directory = tmp_path / "reports"
    directory.mkdir()
    # A temporary file left by a crash, world-readable: its mode must not carry over.
    leftover = directory / f"{report_id}.csv.tmp"
    leftover.write_text("stale")
    leftover.chmod(0o644)
    assert estate_status.produce_reports(container.uow, container.clock, directory=directory) == 1
    path = directory / f"{report_id}.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not leftover.exists()
    assert path.read_text().startswith("DeviceID")


# ------------------------------------------------------------------ DCC's alert signing key


def _der_pair(tmp_path: Path) -> tuple[Path, Path, bytes]:
    key_pem, cert_pem = generate_signing_identity("DCC")
    key = serialization.load_pem_private_key(key_pem, None)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    (tmp_path / "dcc-key.der").write_bytes(key_der)
    (tmp_path / "dcc-cert.der").write_bytes(cert_der)
    return tmp_path / "dcc-key.der", tmp_path / "dcc-cert.der", cert_pem


@pytest.mark.parametrize("form", ["der-key", "der-cert", "both-der", "sec1-der-key"])
def test_the_signer_takes_pem_or_der(tmp_path: Path, form: str) -> None:
    key_der_file, cert_der_file, cert_pem = _der_pair(tmp_path)
    key: bytes = key_der_file.read_bytes()
    if form == "sec1-der-key":
        loaded = serialization.load_der_private_key(key, None)
        key = loaded.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    cert = cert_der_file.read_bytes() if form in ("der-cert", "both-der") else cert_pem
    if form == "der-cert":
        loaded = serialization.load_der_private_key(key, None)
        key = loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    sign = make_body_signer(key, cert)
    verify_request(sign(ALERT), cert_pem)


@pytest.mark.parametrize(
    ("key", "cert", "says"),
    [
        (b"\x30\x03\x02\x01\x01", None, "the key cannot be read; expected an unencrypted ECDSA"),
        (None, b"not a certificate", "the certificate cannot be read; expected an X.509"),
    ],
    ids=["bad-key", "bad-cert"],
)
def test_an_unreadable_key_or_certificate_is_one_sentence_saying_what_is_expected(
    tmp_path: Path, key: bytes | None, cert: bytes | None, says: str
) -> None:
    good_key, good_cert = generate_signing_identity("DCC")
    with pytest.raises(ValueError, match=says) as caught:
        make_body_signer(key or good_key, cert or good_cert)
    assert "\n" not in str(caught.value) and "PEM or DER" in str(caught.value)


def test_an_encrypted_key_is_named_as_such() -> None:
    key_pem, cert_pem = generate_signing_identity("DCC")
    key = serialization.load_pem_private_key(key_pem, None)
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(ValueError, match="the key is encrypted; expected an unencrypted"):
        make_body_signer(locked, cert_pem)


@pytest.fixture
def quiet_worker(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`chfw worker` up to the point where it would start delivering; what it was given."""
    seen: dict[str, Any] = {}

    async def fake_serve_worker(container: Container, **kwargs: Any) -> WorkerReport:
        seen.update(kwargs)
        return WorkerReport()

    monkeypatch.setattr(runner, "serve_worker", fake_serve_worker)
    monkeypatch.setattr(api_logging, "configure", lambda level: None)
    return seen


def _worker(tmp_path: Path, env: dict[str, str | None]) -> Any:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    return CliRunner().invoke(cli.app, ["worker", "--once", "--database-url", db], env=env)


def test_chfw_worker_signs_with_a_der_key_and_certificate(
    tmp_path: Path, quiet_worker: dict[str, Any]
) -> None:
    # covers: X4
    key, cert, cert_pem = _der_pair(tmp_path)
    env = {"CHFW_DCC_SIGNING_KEY_FILE": str(key), "CHFW_DCC_SIGNING_CERT_FILE": str(cert)}
    r = _worker(tmp_path, env)
    assert r.exit_code == 0, r.output
    verify_request(quiet_worker["sign_body"](ALERT), cert_pem)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"CHFW_DCC_SIGNING_KEY_FILE": "KEY", "CHFW_DCC_SIGNING_CERT_FILE": None},
            "CHFW_DCC_SIGNING_KEY_FILE and CHFW_DCC_SIGNING_CERT_FILE go together",
        ),
        (
            {"CHFW_DCC_SIGNING_KEY_FILE": None, "CHFW_DCC_SIGNING_CERT_FILE": "CERT"},
            "CHFW_DCC_SIGNING_KEY_FILE and CHFW_DCC_SIGNING_CERT_FILE go together",
        ),
        (
            {"CHFW_DCC_SIGNING_KEY_FILE": "GARBAGE", "CHFW_DCC_SIGNING_CERT_FILE": "CERT"},
            "the key cannot be read; expected an unencrypted ECDSA P-256 private key",
        ),
        (
            {"CHFW_DCC_SIGNING_KEY_FILE": "MISSING", "CHFW_DCC_SIGNING_CERT_FILE": "CERT"},
            "CHFW_DCC_SIGNING_KEY_FILE: Path does not point to a file",
        ),
    ],
    ids=["key-only", "cert-only", "unreadable-key", "missing-file"],
)
def test_chfw_worker_refuses_bad_signing_settings_in_one_line(
    tmp_path: Path, quiet_worker: dict[str, Any], env: dict[str, str | None], says: str
) -> None:
    key, cert, _ = _der_pair(tmp_path)
    (tmp_path / "garbage").write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n")
    files = {"KEY": key, "CERT": cert, "GARBAGE": tmp_path / "garbage"}
    files["MISSING"] = tmp_path / "missing.der"
    r = _worker(tmp_path, {k: None if v is None else str(files[v]) for k, v in env.items()})
    assert r.exit_code == 1
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("error: ") and says in lines[0]
    assert "Traceback" not in r.output and "validation error" not in r.output
    assert quiet_worker == {}  # nothing started


# --------------------------------------------------------- a supplier's signing certificate


def _rsa_certificate() -> str:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA supplier")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


GARBAGE_PEM = "-----BEGIN CERTIFICATE-----\nc2lnbmVk\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    ("pem", "says"),
    [(GARBAGE_PEM, "cannot be read"), (_rsa_certificate(), "not ECDSA P-256")],
    ids=["garbage-under-a-pem-header", "rsa"],
)
def test_a_certificate_that_could_verify_nothing_is_refused_when_registered(
    client: TestClient, estate: Estate, container: Container, pem: str, says: str
) -> None:
    # covers: X5, X2
    url = f"/api/v1/parties/{SUPPLIER_A}/certificate"
    r = client.put(url, headers=estate.dcc, json={"certificate_pem": pem})
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["field"] == "certificate_pem" and says in error["reason"]
    party = client.get(f"/api/v1/parties/{SUPPLIER_A}", headers=estate.dcc).json()
    assert party["has_signing_certificate"] is False
    body = {"kind": "supplier", "code": "90-B3-D5-1F-30-0B-00-00", "name": "Signed",
            "roles": ["IS"], "signing_certificate_pem": pem}  # fmt: skip
    r = client.post("/api/v1/parties", headers=estate.dcc, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "signing_certificate_pem"
    assert client.get(f"/api/v1/parties/{body['code']}", headers=estate.dcc).status_code == 404


def test_a_usable_certificate_is_registered_and_audited_with_the_dcc_user_id(
    client: TestClient, estate: Estate, container: Container
) -> None:
    # covers: X1
    _, cert_pem = generate_signing_identity("Alpha Energy")
    url = f"/api/v1/parties/{SUPPLIER_A}/certificate"
    r = client.put(url, headers=estate.dcc, json={"certificate_pem": cert_pem.decode()})
    assert r.status_code == 200 and r.json()["has_signing_certificate"] is True
    with container.uow(read_only=True) as uow:
        last = list(uow.audit.entries(subject=f"party:{SUPPLIER_A}"))[-1].record
    assert (last.action, last.actor) == ("party.certificate_set", DCC_ID)
