"""The alert body signer and its settings: signs once-loaded, deterministically, in our scheme;
refuses what it should; the key and certificate are configured together or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from chfw_api.bootstrap import build
from chfw_api.config import Settings
from chfw_api.domain.alerts import AlertEnvelope, HubActivated
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.duis import XmlRejected, render_alert
from chfw_api.duis.alert_signing import make_body_signer
from chfw_api.duis.signature import verify_request
from tests.unit.test_duis_signature import Credentials, _credentials

DCC = "90-B3-D5-1F-30-00-00-02"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


@cache
def dcc() -> Credentials:
    return _credentials(ec.generate_private_key(ec.SECP256R1()), issuer="DCC", serial=4242)


@cache
def other() -> Credentials:
    return _credentials(ec.generate_private_key(ec.SECP256R1()), issuer="X", serial=1)


def n63(counter: int) -> bytes:
    envelope = AlertEnvelope(
        f"{DCC}:{SUPPLIER}:{counter}",
        "N63",
        SUPPLIER,
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        HubActivated(guid_from_int(counter), "0100A2F3"),
    )
    return render_alert(envelope)


def test_signs_in_our_scheme_deterministically() -> None:
    sign = make_body_signer(dcc().key_pem, dcc().cert_pem)
    first, second = sign(n63(1)), sign(n63(2))
    verify_request(first, dcc().cert_pem)
    verify_request(second, dcc().cert_pem)
    assert first.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<sr:Response")
    assert sign(n63(1)) == first  # RFC 6979: the same alert always signs to the same bytes
    assert first != second


def test_refuses_a_signed_or_hostile_body_and_a_mismatched_key() -> None:
    sign = make_body_signer(dcc().key_pem, dcc().cert_pem)
    with pytest.raises(ValueError, match="already signed"):
        sign(sign(n63(1)))
    with pytest.raises(XmlRejected):
        sign(b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')
    with pytest.raises(ValueError, match="does not belong"):
        make_body_signer(dcc().key_pem, other().cert_pem)


def _files(tmp_path: Path, key: bytes, cert: bytes) -> tuple[Path, Path]:
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(key)
    cert_file.write_bytes(cert)
    return key_file, cert_file


def test_the_key_and_certificate_are_configured_together(tmp_path: Path) -> None:
    key, cert = _files(tmp_path, dcc().key_pem, dcc().cert_pem)
    with pytest.raises(ValidationError, match="set both to sign alerts, or neither"):
        Settings(dcc_signing_key_file=key)
    with pytest.raises(ValidationError, match="set both to sign alerts, or neither"):
        Settings(dcc_signing_cert_file=cert)
    with pytest.raises(ValidationError, match="dcc_signing_key_file"):
        Settings(dcc_signing_key_file=tmp_path / "missing.pem", dcc_signing_cert_file=cert)
    settings = Settings(dcc_signing_key_file=key, dcc_signing_cert_file=cert)
    assert (settings.dcc_signing_key_file, settings.dcc_signing_cert_file) == (key, cert)


def test_the_container_loads_the_signer_once_or_says_why_not(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chfw.db'}"
    assert build(Settings(database_url=db)).alert_body_signer is None
    key, cert = _files(tmp_path, dcc().key_pem, dcc().cert_pem)
    container = build(
        Settings(database_url=db, dcc_signing_key_file=key, dcc_signing_cert_file=cert)
    )
    signer = container.alert_body_signer
    assert signer is not None and container.alert_body_signer is signer
    verify_request(signer(n63(3)), dcc().cert_pem)
    container.dispose()
    bad_key, bad_cert = _files(tmp_path, dcc().key_pem, other().cert_pem)
    broken = build(
        Settings(database_url=db, dcc_signing_key_file=bad_key, dcc_signing_cert_file=bad_cert)
    )
    with pytest.raises(ValueError, match=r"DCC signing key .* unusable"):
        _ = broken.alert_body_signer
    broken.dispose()
