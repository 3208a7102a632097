"""`chfw demo` end to end at a small size: a whole campaign through the real HTTP interfaces, the
API and the worker as subprocesses, simulated CSPs and signature-checking back offices on an
accelerated clock; then every invariant, read back from the database (each test names the
requirements it proves).
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from standardwebhooks import Webhook

from chfw_api.bootstrap import build
from chfw_api.config import Settings
from chfw_api.delivery import signing
from chfw_api.demo.backoffice import alerts_in, verify_signature
from chfw_api.demo.checks import failed as failed_checks
from chfw_api.demo.clock import OffsetFileClock
from chfw_api.demo.processes import client_url, free_port
from chfw_api.demo.run import DemoResult, Options, run_demo
from chfw_api.domain.clock import SystemClock
from chfw_api.services.audit import verify
from tests.conftest import BACKENDS, _create_pg_database

GUID = re.compile(rb"<sr:DeviceID>([0-9A-F-]{23})</sr:DeviceID>")


@pytest.fixture(scope="module", params=BACKENDS)
def result(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoResult]:
    """The demo at 2,000 hubs, once per backend (a fresh, empty database each)."""
    out = tmp_path_factory.mktemp("demo")
    if request.param == "sqlite":
        yield run_demo(Options(hubs=2_000, seed=5, out=out, quiet=True))
        return
    url, admin = _create_pg_database()
    try:
        yield run_demo(Options(hubs=2_000, seed=5, out=out, quiet=True, database_url=url))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(result: DemoResult) -> Iterator[Connection]:
    engine = create_engine(result.database_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _codes(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(text("SELECT id, code FROM parties")).all())


def test_the_campaign_ran_to_closure(result: DemoResult) -> None:
    # covers: A01, A02, A03, A04, A05, A06, A08, A09, A11, BR3.7, BR6.1, BR6.2, BR6.3
    assert result.campaign["stage"] == "Closed"
    assert result.campaign["pilot_outcome"] == "Succeeded"
    assert result.campaign["safe_launch_outcome"] == "Succeeded"
    assert failed_checks(result.checks) == []
    assert result.checks["dead_letters"] == 0
    assert result.checks["bad_signatures"] == 0
    assert result.checks["small_batch_refused"] == "E110703" or len(result.estate.suppliers) < 2
    assert (result.report or result.work).exists()


def test_every_eligible_hub_ends_activated_or_failed(result: DemoResult, db: Connection) -> None:
    # covers: BR3.5, BR5.6
    rows = Counter(
        dict(db.execute(text("SELECT status, count(*) FROM campaign_hubs GROUP BY status")).all())
    )
    assert set(rows) <= {"activated", "failed"}
    assert sum(rows.values()) == len(result.estate.eligible)
    # BR5.6: the inventory carries the new version exactly for the activated hubs.
    mismatched = db.execute(
        text(
            "SELECT count(*) FROM campaign_hubs ch JOIN hubs h ON h.guid = ch.guid WHERE "
            "(ch.status = 'activated') != (h.firmware_version = :v)"
        ),
        {"v": result.campaign["version"]},
    ).scalar_one()
    assert mismatched == 0
    # BR3.5: each hub activated at the time planned for it.
    late = db.execute(
        text(
            "SELECT count(*) FROM campaign_hubs ch JOIN activation_results r ON "
            "r.campaign_id = ch.campaign_id AND r.guid = ch.guid AND r.outcome = ch.status "
            "WHERE r.at != ch.planned_activation_at"
        )
    ).scalar_one()
    assert late == 0


def test_every_hub_alert_went_to_exactly_its_current_suppliers(db: Connection) -> None:
    # covers: AH, BR2.4, BR5.6
    codes = _codes(db)
    expected: dict[str, set[str]] = {}
    for guid, imp, gas in db.execute(
        text(
            "SELECT ch.guid, h.import_supplier_id, h.gas_supplier_id FROM campaign_hubs ch "
            "JOIN hubs h ON h.guid = ch.guid"
        )
    ):
        expected[guid] = {codes[p] for p in (imp, gas) if p is not None}
    status = dict(db.execute(text("SELECT guid, status FROM campaign_hubs")).all())
    got: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, recipient, body in db.execute(
        text("SELECT code, recipient_party_id, body FROM alerts WHERE code IN ('N63', 'N82')")
    ):
        [guid] = GUID.findall(body.encode())
        got[(code, guid.decode())].append(codes[recipient])
    for guid, suppliers in expected.items():
        code = "N63" if status[guid] == "activated" else "N82"
        assert sorted(got.pop((code, guid), [])) == sorted(suppliers), guid
    assert got == {}  # no hub alerted with the wrong outcome, none alerted twice


def test_no_alert_lost_duplicated_or_unsigned(result: DemoResult, db: Connection) -> None:
    # covers: X4
    codes = _codes(db)
    outbox: Counter[tuple[str, str]] = Counter()
    for recipient, code, n in db.execute(
        text("SELECT recipient_party_id, code, count(*) FROM alerts GROUP BY 1, 2")
    ):
        outbox[(codes[recipient], code)] = n
    received: Counter[tuple[str, str]] = Counter()
    for office in result.offices:
        assert office.bad_signatures == 0
        assert office.future_timestamps == 0
        assert office.duplicates == 0
        for code, n in office.by_code.items():
            received[(office.user_id, code)] = n
    assert received == outbox
    states = dict(db.execute(text("SELECT state, count(*) FROM deliveries GROUP BY state")).all())
    assert states == {"delivered": sum(outbox.values())}


def test_split_supplier_rules_held(result: DemoResult, db: Connection) -> None:
    # covers: BR3.3, BR4.1, BR4.2
    waiting, held = result.checks["split_waiting_held_back"]
    assert held == 0  # BR3.3/BR4.1: nothing reached a CSP before both suppliers instructed
    assert result.checks["split_waiting_released"] == (waiting, waiting)
    votes: dict[str, list[object]] = defaultdict(list)
    for guid, at in db.execute(
        text(
            "SELECT guid, requested_at FROM instruction_votes WHERE stage IN ('Pilot', "
            "'SafeLaunch')"
        )
    ):
        votes[guid].append(at)
    split = db.execute(
        text(
            "SELECT ch.guid, ch.planned_activation_at FROM campaign_hubs ch JOIN hubs h ON "
            "h.guid = ch.guid WHERE h.import_supplier_id != h.gas_supplier_id"
        )
    )
    n = 0
    for guid, planned in split:
        assert len(votes[guid]) == 2, guid  # both suppliers instructed
        assert planned == max(votes[guid]), guid  # BR4.2: the later of the two
        n += 1
    assert n > 0


def test_the_audit_chain_verifies(result: DemoResult) -> None:
    # covers: X1
    c = build(Settings(database_url=result.database_url))
    try:
        report = verify(c.uow(read_only=True))
    finally:
        c.dispose()
    assert report.ok, report
    assert report.entries == result.audit_entries > 0


def test_the_report_is_self_contained(result: DemoResult) -> None:
    assert result.report is None or isinstance(result.report, Path)
    from chfw_api.demo.report import render

    html = render(result)
    assert html.count("<svg") >= 4
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        "http://www.dccinterface", ""
    )
    assert "<script" not in html


def test_back_office_verification_refuses_a_tampered_body() -> None:
    secret = signing.new_secret()
    body = (
        b"<sr:Response><sr:ResponseID>A:B:1</sr:ResponseID><sr:DCCAlertCode>N63</sr:DCCAlertCode>"
    )
    headers = signing.headers([signing.secret_key(secret)], "msg_1", 1_700_000_000, body)
    assert verify_signature(secret, headers, body)
    # The independent reference implementation signs the same way our back offices verify.
    at = datetime.fromtimestamp(1_700_000_000, UTC)
    reference = Webhook(secret).sign("msg_1", at, body.decode())
    assert verify_signature(secret, {**headers, "webhook-signature": reference}, body)
    assert not verify_signature(secret, headers, body + b" ")
    assert not verify_signature(signing.new_secret(), headers, body)
    assert alerts_in(body) == [(b"A:B:1", b"N63")]


def test_the_shared_clock_moves_every_process_at_once(tmp_path: Path) -> None:
    clock = OffsetFileClock(tmp_path / "clock")
    target = clock.now() + timedelta(days=30)
    assert clock.advance_to(target) >= target
    # Another process given the same file (CHFW_CLOCK_FILE) reads the same simulated time.
    code = (
        "from chfw_api.bootstrap import build; from chfw_api.config import Settings; "
        f"c = build(Settings(database_url='sqlite://', clock_file={str(clock.path)!r})); "
        "print(type(c.clock).__name__, c.clock.now().isoformat())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "OffsetFileClock"
    assert datetime.fromisoformat(out[1]) >= target
    with pytest.raises(ValueError, match="forward"):
        clock.set_offset(timedelta(0))
    assert clock.now() >= target


def test_each_supplier_got_the_option_1_notices_by_email_too(result: DemoResult) -> None:
    # covers: A01, A06, A11
    # Each sample supplier has one mailbox wanting Option 1's kinds: one email per such alert.
    for office in result.offices:
        for kind in ("N70", "N75", "N78"):
            got = result.emails.get(kind, {}).get(office.name, 0)
            assert got == office.by_code.get(kind, 0) == 1, (office.name, kind)
    assert set(result.emails) == {"N70", "N75", "N78"}  # nobody asked for more
    queued, received = result.checks["emails_received_equals_outbox"]
    assert queued == received == 3 * len(result.offices)
    box = mailbox.Maildir(result.options.out / "mail", create=False)
    raw = [box.get_bytes(key) for key in box.iterkeys()]
    messages = [email.message_from_bytes(r, policy=email.policy.default) for r in raw]
    assert len(messages) == received
    for m in messages:
        assert isinstance(m, email.message.EmailMessage)
        assert m.get_body(("plain",)) is not None and m.get_body(("html",)) is not None
        others = set(result.estate.suppliers) - {m["X-CHFW-Supplier"]}
        assert not any(o in m.as_string() for o in others)


def test_without_a_clock_file_the_system_clock_is_used() -> None:
    c = build(Settings(database_url="sqlite://"))
    try:
        assert isinstance(c.clock, SystemClock)
    finally:
        c.dispose()


def test_a_figure_that_breaks_its_invariant_fails_the_demo() -> None:
    held = {
        "every_hub_finished": True,
        "dead_letters": 0,
        "bad_signatures": 0,
        "split_waiting_held_back": (12, 0),
        "split_waiting_released": (12, 12),
        "small_batch_refused": "E110703",
        "audit_chain": "intact, 9 entries",
    }
    assert failed_checks(held) == []
    for name, broken in [
        ("every_hub_finished", False),
        ("dead_letters", 1),
        ("bad_signatures", 3),
        ("split_waiting_held_back", (12, 1)),
        ("split_waiting_released", (12, 11)),
        ("small_batch_refused", "I0"),
    ]:
        assert failed_checks({**held, name: broken}) == [name]


def test_the_demo_also_runs_with_the_api_and_worker_in_threads(tmp_path: Path) -> None:
    port = free_port()
    small = run_demo(Options(hubs=400, seed=2, out=tmp_path, quiet=True, mode="thread", port=port))
    assert small.api_url == f"http://127.0.0.1:{port}"  # `chfw demo --port`
    assert small.campaign["stage"] == "Closed"
    assert failed_checks(small.checks) == []
    assert sum(o.alerts for o in small.offices) == sum(small.outbox_by_code.values()) > 0


def test_the_demo_reaches_an_api_bound_to_every_address_through_loopback() -> None:
    assert client_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert client_url("::", 8080) == "http://[::1]:8080"
    assert client_url("10.0.0.5", 9000) == "http://10.0.0.5:9000"


def test_chfw_demo_takes_the_api_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import chfw_api.demo.main
    from chfw_api.cli import app

    seen: dict[str, object] = {}
    monkeypatch.setattr(chfw_api.demo.main, "main", lambda **kw: seen.update(kw) or 0)
    r = CliRunner().invoke(app, ["demo", "--host", "0.0.0.0", "--port", "8123", "--hubs", "200"])
    assert r.exit_code == 0, r.output
    assert (seen["host"], seen["port"]) == ("0.0.0.0", 8123)
