"""Email notices (issue #14): what each says, both parts, a stable Message-ID, nothing of
another supplier's."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from chfw_api.domain import alerts as a
from chfw_api.domain.email_notices import (
    NOTICE_KINDS,
    OPTION1_KINDS,
    CampaignFacts,
    EmailContact,
    Recipient,
    message_id,
    notice_for,
    notice_key,
)
from chfw_api.domain.email_render import Sender, render_email
from chfw_api.domain.incidents import PendingEffect
from chfw_api.domain.incidents import RolloutDecision as Decision
from chfw_api.domain.releases import Priority, Severity
from chfw_api.domain.stages import Outcome

AT = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
AUTO = datetime(2027, 7, 5, 0, 0, tzinfo=UTC)
RELEASE = a.ReleaseInfo(
    "Kelvin Cellular", "KC-200", "0100A300", "https://dcc.example/notes/1", Severity.HIGH,
    Priority.URGENT,
)  # fmt: skip
FACTS = CampaignFacts("CMP-000007", RELEASE, AUTO, AT, pilot_planned=True)
ALPHA = Recipient(11, "90-B3-D5-1F-30-01-00-00", "Alpha Energy <&>", 1234, 56)
CONTACT = EmailContact(3, 11, ALPHA.user_id, "ops@alpha.example", "Alpha Ops", OPTION1_KINDS)
SENDER = Sender("notices@dcc.example")

MESSAGES: dict[str, a.AlertMessage] = {
    "N70": a.UpdateAvailable(
        campaign_id="CMP-000007", release=RELEASE, automatic_deployment_at=AUTO,
        eligible_as_import=1234, eligible_as_gas=56,
        extract_reference="/api/v1/campaigns/CMP-000007/eligible-hubs",
    ),
    "N71": a.NotificationRevoked(campaign_id="CMP-000007", reason="withdrawn", revoked_at=AT),
    "N74": a.PilotStatus(campaign_id="CMP-000007", phase=a.PilotPhase.STARTED, succeeded=1,
                         failed=2, pending=3, pilot_start_at=AT, pilot_end_at=AUTO),
    "N75": a.PilotOutcome(campaign_id="CMP-000007", outcome=Outcome.SUCCEEDED, succeeded=135,
                          failed=9, commentary="within tolerance", safe_launch_starts_at=AT),
    "N77": a.SafeLaunchOutcome(campaign_id="CMP-000007", outcome=Outcome.SUCCEEDED,
                               succeeded=90_000, failed=2_000, commentary="done"),
    "N78": a.CampaignClosed(campaign_id="CMP-000007", closed_at=AT, activated=90_968,
                            failed=2_241, commentary="closed by DCC"),
    "N79": a.CampaignSuperseded(campaign_id="CMP-000007", superseded_by="CMP-000008",
                                superseding_version="0100A301", pilot_invalidated=True),
    "N81": a.RolloutDecision(campaign_id="CMP-000007", decision=Decision.PAUSE, reason="INC",
                             incident_id="INC-000001",
                             effect_on_pending_instructions=PendingEffect.HELD, decided_at=AT),
}  # fmt: skip


def _render(code: str, recipient: Recipient = ALPHA) -> email.message.EmailMessage:
    alert_id = f"90-B3-D5-1F-30-00-00-02:{recipient.user_id}:7"
    notice = notice_for(
        MESSAGES[code], FACTS, recipient, key=notice_key(code, "CMP-000007", alert_id)
    )
    assert notice is not None
    raw = render_email(notice, CONTACT, SENDER, sent_at=AT).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def _parts(msg: email.message.EmailMessage) -> tuple[str, str]:
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())  # type: ignore[attr-defined]


def test_every_notice_kind_has_a_message() -> None:
    assert set(MESSAGES) == set(NOTICE_KINDS)
    assert {"N70", "N75", "N78", "N79"} == OPTION1_KINDS


@pytest.mark.parametrize("code", sorted(NOTICE_KINDS))
def test_both_parts_carry_the_same_facts(code: str) -> None:
    msg = _render(code)
    plain, html = _parts(msg)
    assert msg["Subject"].startswith(f"[{code}] CMP-000007")
    for fact in ("KC-200", "0100A300", "High", "Urgent", "05 Jul 2027 00:00 UTC", "1,234", "56"):
        assert fact in plain and fact in html, fact
    assert "What to do next" in plain and "What to do next" in html
    # escaped in HTML, as is in plain text
    assert "Alpha Energy <&>" in plain and "Alpha Energy &lt;&amp;&gt;" in html


def test_update_available_says_what_to_do_and_by_when() -> None:
    # covers: A01
    plain, _ = _parts(_render("N70"))
    assert "/api/v1/campaigns/CMP-000007/eligible-hubs" in plain
    assert "Preferred Pilot List (SR 11.5)" in plain and "By 05 Mar 2027 09:00 UTC." in plain
    # BR3.4: a month before the automatic date
    assert "SR 11.7" in plain and "By 05 Jun 2027 00:00 UTC." in plain


def test_pilot_outcome_closure_and_supersession_carry_the_alerts_facts() -> None:
    # covers: A06, A11, A12
    pilot, _ = _parts(_render("N75"))
    assert "Succeeded" in pilot and "135" in pilot and "within tolerance" in pilot
    closed, _ = _parts(_render("N78"))
    assert "90,968" in closed and "2,241" in closed and "closed by DCC" in closed
    superseded, _ = _parts(_render("N79"))
    assert "CMP-000008" in superseded and "0100A301" in superseded


def test_a_failed_pilot_says_there_is_nothing_to_instruct() -> None:
    # covers: A07
    failed = a.PilotOutcome(campaign_id="CMP-000007", outcome=Outcome.FAILED, succeeded=1,
                            failed=40, commentary="too many failures")  # fmt: skip
    notice = notice_for(failed, FACTS, ALPHA, key="N75.k")
    assert notice is not None and notice.subject.startswith("[N75] CMP-000007: pilot failed")
    plain, _ = _parts(email.message_from_bytes(
        render_email(notice, CONTACT, SENDER, sent_at=AT).as_bytes(), policy=email.policy.default
    ))  # type: ignore[arg-type]  # fmt: skip
    assert "too many failures" in plain and "does not go to safe launch" in plain


def test_message_id_is_stable_per_notice_and_recipient() -> None:
    first = _render("N70")["Message-ID"]
    assert first == _render("N70")["Message-ID"]
    other = Recipient(12, "90-B3-D5-1F-30-02-00-00", "Beta", 1, 1)
    assert _render("N70", other)["Message-ID"] != first
    assert message_id("k", "A@x.example", "d") == message_id("k", "a@x.example", "d")
    assert message_id("k", "a@x.example", "d") != message_id("k", "b@x.example", "d")
    assert first.endswith("@dcc.example>")
    assert first.startswith("<N70.CMP-000007.90-B3-D5-1F-30-00-00-02.90-B3-D5-1F-30-01-00-00.7.")


def test_alerts_without_an_email_notice_give_none() -> None:
    report = a.ReportReady(report_id="R1", fetch_reference="/x", rows=1)
    assert notice_for(report, FACTS, ALPHA, key="k") is None


def test_headers_name_the_supplier_and_notice() -> None:
    msg = _render("N78")
    assert msg["To"] == "Alpha Ops <ops@alpha.example>"
    assert msg["From"].addresses[0].addr_spec == "notices@dcc.example"
    assert msg["X-CHFW-Notice"] == "N78" and msg["X-CHFW-Supplier"] == ALPHA.user_id
