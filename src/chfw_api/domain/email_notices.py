"""Email notices (Option 1, section 3.1): which process-level notices go by email, to whom,
and what each says, independent of how it is encoded or sent.

Option 1 sends the initial notification (A01, N70), pilot success and failure (A06/A07, N75),
closure (A11, N78) and supersession (A12, N79) by email; stage outcomes "could be communicated
back ... via either DCC Alerts or emails", so a contact may also ask for N71, N74, N77 and N81.
An email carries the same facts as the alert it mirrors, plus the release and the recipient
supplier's own eligible counts (never another supplier's name or hubs, BR3.3), and what to do
next and by when.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from chfw_api.domain import alerts as a
from chfw_api.domain.calendar import add_months
from chfw_api.domain.incidents import PendingEffect
from chfw_api.domain.instructions import MIN_NOTICE_MONTHS
from chfw_api.domain.stages import Outcome

NOTICE_KINDS: dict[str, str] = {
    "N70": "firmware update available (A01)",
    "N71": "notification revoked",
    "N74": "pilot status",
    "N75": "pilot outcome (A06 / A07)",
    "N77": "safe launch outcome",
    "N78": "campaign closed (A11)",
    "N79": "campaign superseded (A12)",
    "N81": "rollout decision",
}
"""Every notice an email contact may ask for, by the code of the DCC Alert it mirrors."""

OPTION1_KINDS: frozenset[str] = frozenset({"N70", "N75", "N78", "N79"})
"""What Option 1 sends by email: a contact gets these unless it names its own kinds."""


@dataclass(frozen=True, slots=True)
class EmailContact:
    """One mailbox of one party, and the notices it wants."""

    id: int
    party_id: int
    party_code: str
    address: str
    name: str
    notices: frozenset[str]

    def wants(self, code: str) -> bool:
        return code in self.notices


@dataclass(frozen=True, slots=True)
class Recipient:
    """The supplier a notice is for, with only its own counts (BR1.3)."""

    party_id: int
    user_id: str
    name: str
    eligible_as_import: int
    eligible_as_gas: int


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What every notice of a campaign repeats, so an email stands on its own."""

    campaign_id: str
    release: a.ReleaseInfo
    automatic_deployment_at: datetime
    notified_at: datetime
    pilot_planned: bool


@dataclass(frozen=True, slots=True)
class NextStep:
    what: str
    by: datetime | None = None


@dataclass(frozen=True, slots=True)
class EmailNotice:
    """One notice to one supplier: what any of its contacts' emails says.

    `key` names the notice (campaign, event, time): with the recipient's address it makes the
    stable Message-ID, so a re-send of the same notice is recognisable.
    """

    key: str
    code: str
    subject: str
    recipient: Recipient
    facts: tuple[tuple[str, str], ...]
    commentary: str | None
    next_steps: tuple[NextStep, ...]


def when(value: datetime) -> str:
    return value.strftime("%d %b %Y %H:%M UTC")


def notice_key(code: str, campaign_id: str, alert_id: str) -> str:
    """One notice to one supplier, named by the DCC Alert it mirrors (`DCC:recipient:counter`,
    the same on every alert retry), as a dot-atom (RFC 5322): the left of its Message-IDs."""
    return f"{code}.{campaign_id}.{alert_id.replace(':', '.')}"


def message_id(key: str, address: str, domain: str) -> str:
    """Stable per notice and recipient address: a re-send carries the same Message-ID."""
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    return f"<{key}.{digest}@{domain}>"


def instruct_by(automatic: datetime) -> datetime:
    """BR3.4: an instruction needs a month's notice before the automatic time."""
    return add_months(automatic, -MIN_NOTICE_MONTHS)


def notice_for(
    message: a.AlertMessage,
    campaign: CampaignFacts,
    recipient: Recipient,
    *,
    key: str,
) -> EmailNotice | None:
    """The email notice mirroring `message` for `recipient`, named `key` (`notice_key`); None
    for alerts not sent by email."""
    if isinstance(message, a.UpdateAvailable):  # BR1.2: a moved date is re-notified
        campaign = replace(campaign, automatic_deployment_at=message.automatic_deployment_at)
    built = _specific(message, campaign)
    if built is None:
        return None
    title, facts, commentary, steps = built
    r = campaign.release
    common = (
        ("Campaign", campaign.campaign_id),
        ("Release", f"{r.manufacturer} {r.model} firmware {r.version}"),
        ("Model", r.model),
        ("Version", r.version),
        ("Release note", r.release_note_ref),
        ("Severity", r.severity.value),
        ("Priority", r.priority.value),
        ("Automatic deployment date", when(campaign.automatic_deployment_at)),
        ("Your eligible hubs as Import Supplier", f"{recipient.eligible_as_import:,}"),
        ("Your eligible hubs as Gas Supplier", f"{recipient.eligible_as_gas:,}"),
    )
    return EmailNotice(
        key=key,
        code=message.code,
        subject=f"[{message.code}] {campaign.campaign_id}: {title} ({r.model} {r.version})",
        recipient=recipient,
        facts=common + facts,
        commentary=commentary,
        next_steps=steps,
    )


_Built = tuple[str, tuple[tuple[str, str], ...], str | None, tuple[NextStep, ...]]


def _specific(m: a.AlertMessage, c: CampaignFacts) -> _Built | None:
    facts: tuple[tuple[str, str], ...]
    steps: tuple[NextStep, ...]
    if isinstance(m, a.UpdateAvailable):
        return _update_available(m, c)
    if isinstance(m, a.PilotOutcome):
        return _pilot_outcome(m, c)
    if isinstance(m, a.CampaignClosed):
        facts = (
            ("Closed at", when(m.closed_at)),
            ("Activated", f"{m.activated:,}"),
            ("Failed", f"{m.failed:,}"),
        )
        steps = (
            NextStep(
                "Nothing further for this campaign: its hubs are final. SR 11.8 "
                "still reports each of your hubs' status."
            ),
        )
        return "campaign closed", facts, m.commentary, steps
    if isinstance(m, a.CampaignSuperseded):
        facts = (
            ("Superseded by", m.superseded_by),
            ("Newer version", m.superseding_version),
            ("Running pilot invalidated", "yes" if m.pilot_invalidated else "no"),
        )
        steps = (
            NextStep(
                f"Send no further instructions under {c.campaign_id}; the newer "
                f"release follows in its own notice ({m.superseded_by})."
            ),
        )
        return "superseded by a newer release", facts, m.commentary, steps
    if isinstance(m, a.NotificationRevoked):
        facts = (("Revoked at", when(m.revoked_at)),)
        steps = (NextStep("Do not instruct under this campaign: it will not deploy."),)
        return "notification revoked", facts, m.reason, steps
    if isinstance(m, a.PilotStatus):
        return _pilot_status(m, c)
    if isinstance(m, a.SafeLaunchOutcome):
        facts = (
            ("Outcome", m.outcome.value),
            ("Activated", f"{m.succeeded:,}"),
            ("Failed", f"{m.failed:,}"),
        )
        steps = (NextStep("None: DCC closes the campaign next (A11)."),)
        return f"safe launch {m.outcome.value.lower()}", facts, m.commentary, steps
    if isinstance(m, a.RolloutDecision):
        return _decision(m)
    return None


def _update_available(m: a.UpdateAvailable, c: CampaignFacts) -> _Built:
    facts = (
        ("Eligible list", m.extract_reference),
        ("Pilot planned", "yes" if c.pilot_planned else "no"),
    )
    steps = [NextStep(f"Extract your eligible hubs from {m.extract_reference}.")]
    if c.pilot_planned:
        steps.append(
            NextStep(
                "Send a Preferred Pilot List (SR 11.5) if you want to choose your "
                "pilot hubs; afterwards DCC selects for you (AD09).",
                add_months(c.notified_at, 2),
            )
        )
    steps.append(
        NextStep(
            "Instruct deployment of your hubs (SR 11.7) with a month's notice.",
            instruct_by(m.automatic_deployment_at),
        )
    )
    steps.append(
        NextStep("Hubs nobody instructs are deployed automatically.", m.automatic_deployment_at)
    )
    return "firmware update available", facts, None, tuple(steps)


def _pilot_outcome(m: a.PilotOutcome, c: CampaignFacts) -> _Built:
    facts: tuple[tuple[str, str], ...] = (
        ("Outcome", m.outcome.value),
        ("Pilot hubs activated", f"{m.succeeded:,}"),
        ("Pilot hubs failed", f"{m.failed:,}"),
    )
    if m.outcome is Outcome.SUCCEEDED:
        if m.safe_launch_starts_at is not None:
            facts += (("Safe launch starts", when(m.safe_launch_starts_at)),)
        steps: tuple[NextStep, ...] = (
            NextStep(
                "Instruct safe-launch deployment of your hubs (SR 11.7).",
                instruct_by(c.automatic_deployment_at),
            ),
            NextStep(
                "Hubs nobody instructs are deployed automatically.", c.automatic_deployment_at
            ),
        )
        return "pilot succeeded", facts, m.commentary, steps
    steps = (
        NextStep(
            "None: the release does not go to safe launch; DCC notifies any replacement release."
        ),
    )
    return "pilot failed", facts, m.commentary, steps


def _pilot_status(m: a.PilotStatus, c: CampaignFacts) -> _Built:
    facts: tuple[tuple[str, str], ...] = (
        ("Pilot", m.phase.value),
        ("Activated", f"{m.succeeded:,}"),
        ("Failed", f"{m.failed:,}"),
        ("Pending", f"{m.pending:,}"),
    )
    if m.pilot_start_at is not None:
        facts += (("Pilot starts", when(m.pilot_start_at)),)
    if m.pilot_end_at is not None:
        facts += (("Pilot ends", when(m.pilot_end_at)),)
    steps = (
        NextStep(
            f"Follow your pilot hubs at /api/v1/campaigns/{c.campaign_id}/pilot-monitoring.",
            m.pilot_end_at,
        ),
    )
    return f"pilot {m.phase.value.lower()}", facts, m.commentary, steps


_EFFECT = {
    PendingEffect.UNAFFECTED: "None: your pending instructions go ahead as planned.",
    PendingEffect.HELD: "Your pending instructions are held until DCC resumes the rollout.",
    PendingEffect.CANCELLED: "Your pending instructions are cancelled: instruct again if the "
    "rollout resumes.",
    PendingEffect.RELEASED: "Your held instructions are released and go ahead.",
}


def _decision(m: a.RolloutDecision) -> _Built:
    facts: tuple[tuple[str, str], ...] = (
        ("Decision", m.decision.value),
        ("Decided at", when(m.decided_at)),
        ("Pending instructions", m.effect_on_pending_instructions.value),
    )
    if m.incident_id is not None:
        facts += (("Incident", m.incident_id),)
    if m.new_end_at is not None:
        facts += (("New end", when(m.new_end_at)),)
    steps = (NextStep(_EFFECT[m.effect_on_pending_instructions], m.new_end_at),)
    return f"rollout decision: {m.decision.value}", facts, m.reason, steps
