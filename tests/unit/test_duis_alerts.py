"""DCC Alerts render as DUIS-shaped XML that validates: every type against our schema, and the
per-hub activation alert (N63) against the published DUIS 5.4 schema as well."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from chfw_api.domain import alerts as a
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.releases import Priority, Severity
from chfw_api.duis import (
    ALERT_BATCH,
    ALERT_ELEMENTS,
    NS_SR,
    RESPONSE,
    AlertInvalid,
    alert_element,
    parse_validated,
    render_alert,
    render_batch,
)
from tests.conftest import duis_5_4_path

DCC = "90-B3-D5-1F-30-00-00-02"
SR = f"{{{NS_SR}}}"
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def duis_5_4() -> etree.XMLSchema:
    """The published DUIS 5.4 schema, from the shared copy (never copied into the project)."""
    return etree.XMLSchema(etree.parse(str(duis_5_4_path())))


# ------------------------------------------------------------------------------ strategies

guids = st.integers(0, 2**64 - 1).map(guid_from_int)
user_ids = st.integers(0, 2**64 - 1).map(guid_from_int)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}", fullmatch=True)
codes = st.from_regex(r"[A-Za-z0-9._\-]{1,32}", fullmatch=True)
versions = st.from_regex(r"[0-9A-F]{1,8}", fullmatch=True)
constraints = st.from_regex(r"[A-Za-z0-9._:\-]{1,64}", fullmatch=True)
# Any Unicode but surrogates, control characters included: the renderer must cope.
texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)
short = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
counts = st.integers(0, 10**12)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)
maybe = st.none().__or__
guid_lists = st.lists(guids, max_size=5).map(tuple)
periods = st.builds(
    a.SchedulePeriod,
    moments,
    moments,
    maybe(short),
    st.lists(guids, min_size=1, max_size=4).map(tuple),
)
releases = st.builds(
    a.ReleaseInfo,
    short,
    short,
    versions,
    texts,
    st.sampled_from(Severity),
    st.sampled_from(Priority),
)

MESSAGES: dict[type[a.AlertMessage], st.SearchStrategy[Any]] = {
    a.HubActivated: st.builds(a.HubActivated, guids, versions),
    a.UpdateAvailable: st.builds(a.UpdateAvailable, ids, releases, moments, counts, counts, texts),
    a.NotificationRevoked: st.builds(a.NotificationRevoked, ids, texts, moments),
    a.DefaultPilotList: st.builds(a.DefaultPilotList, ids, guid_lists, maybe(moments)),
    a.DefaultPilotSchedule: st.builds(
        a.DefaultPilotSchedule,
        ids,
        st.lists(periods, min_size=1, max_size=3).map(tuple),
        st.lists(constraints, max_size=3).map(tuple),
    ),
    a.PilotStatus: st.builds(
        a.PilotStatus, ids, st.sampled_from(a.PilotPhase), counts, counts, counts,
        maybe(moments), maybe(moments), maybe(texts),
        st.lists(st.builds(a.HubFailure, guids, codes, texts), max_size=3).map(tuple),
    ),
    a.PilotOutcome: st.builds(
        a.PilotOutcome, ids, st.sampled_from(a.Outcome), counts, counts, texts, maybe(moments)
    ),
    a.SafeLaunchSchedule: st.builds(
        a.SafeLaunchSchedule, ids, st.lists(periods, min_size=1, max_size=3).map(tuple)
    ),
    a.SafeLaunchOutcome: st.builds(
        a.SafeLaunchOutcome, ids, st.sampled_from(a.Outcome), counts, counts, texts
    ),
    a.CampaignClosed: st.builds(a.CampaignClosed, ids, moments, counts, counts, maybe(texts)),
    a.CampaignSuperseded: st.builds(
        a.CampaignSuperseded, ids, ids, versions, st.booleans(), maybe(texts)
    ),
    a.InstructionStatus: st.builds(
        a.InstructionStatus, ids, ids, st.sampled_from(a.DeploymentKind), moments,
        maybe(moments), counts, counts,
        st.lists(
            st.builds(a.HubInstructionState, guids, st.booleans(), st.booleans(), maybe(moments)),
            max_size=4,
        ).map(tuple),
    ),
    a.RolloutDecision: st.builds(
        a.RolloutDecision, ids, st.sampled_from(a.Decision), texts, maybe(ids),
        st.sampled_from(a.PendingEffect), moments, maybe(moments),
    ),
    a.ActivationFailure: st.builds(
        a.ActivationFailure, ids, guids, codes, texts, moments, maybe(versions)
    ),
    a.ReportReady: st.builds(a.ReportReady, ids, texts, counts, maybe(moments)),
}  # fmt: skip

messages = st.one_of(*MESSAGES.values())
request_ids = st.builds(
    lambda user, counter: f"{user}:{DCC}:{counter}", user_ids, st.integers(1, 2**64 - 1)
)


@st.composite
def envelopes(draw: st.DrawFn, message: st.SearchStrategy[Any] = messages) -> a.AlertEnvelope:
    recipient = draw(user_ids)
    body = draw(message)
    return a.AlertEnvelope.of(
        a.make_alert_id(DCC, recipient, draw(st.integers(0, 2**64 - 1))),
        recipient,
        draw(moments),
        body,
        request_id=draw(maybe(request_ids)),
    )


def parsed(xml: bytes, root: str = RESPONSE) -> etree._Element:
    """Through the same hardened parser and schema check that inbound XML gets."""
    return parse_validated(xml, root)


# ---------------------------------------------------------------------------------- tests


def test_every_alert_type_has_a_strategy_and_an_element() -> None:
    assert set(MESSAGES) == set(a.ALERT_TYPES) == set(ALERT_ELEMENTS)
    assert sorted(t.code for t in a.ALERT_TYPES) == sorted(
        ["N63"] + [f"N{n}" for n in range(70, 84)]
    )


@pytest.mark.parametrize("kind", a.ALERT_TYPES, ids=lambda t: f"{t.code}-{t.__name__}")
def test_every_alert_type_renders_valid_xml(kind: type[a.AlertMessage]) -> None:
    # covers: A01, A02, A03, A06, A07, A08, A09, A10, A11, A12, AH, BR1.1, BR1.3, BR1.4, BR2.4,
    # covers: BR3.3, BR5.1, BR5.3, BR6.5 -- each alert's content reaches the Service User intact
    @FAST
    @given(envelopes(MESSAGES[kind]))
    def check(envelope: a.AlertEnvelope) -> None:
        root = parsed(render_alert(envelope))
        header = root.find(f"{SR}Header")
        assert header is not None
        assert header.findtext(f"{SR}ResponseID") == envelope.alert_id
        assert header.findtext(f"{SR}ResponseCode") == "I0"
        assert header.findtext(f"{SR}RequestID") == envelope.request_id
        message = root.find(f"{SR}Body/{SR}DCCAlertMessage")
        assert message is not None
        assert message.findtext(f"{SR}DCCAlertCode") == kind.code
        container = message.find(f"{SR}DCCAlert")
        assert container is not None
        (body,) = list(container)
        assert body.tag == SR + ALERT_ELEMENTS[kind]
        for name in ("guid", "campaign_id", "report_id"):
            value = getattr(envelope.message, name, None)
            if value is not None:
                assert value in body.itertext()

    check()


@FAST
@given(st.builds(a.HubActivated, guids, versions), user_ids, st.integers(0, 2**64 - 1), moments)
def test_hub_activation_alert_validates_against_published_duis_5_4(
    message: a.HubActivated, recipient: str, counter: int, at: datetime
) -> None:
    # covers: AH, BR5.6 -- N63 is DUIS 5.4's own CommsHubFirmwareActivation alert
    envelope = a.AlertEnvelope.of(a.make_alert_id(DCC, recipient, counter), recipient, at, message)
    xml = render_alert(envelope)
    document = etree.fromstring(xml)
    schema = duis_5_4()
    assert schema.validate(document), schema.error_log
    activation = document.find(f".//{SR}CommsHubFirmwareActivation")
    assert activation is not None
    assert activation.findtext(f"{SR}DeviceID") == message.guid
    assert activation.findtext(f"{SR}FirmwareVersion") == message.firmware_version


def test_hub_activation_code_is_configurable() -> None:
    # covers: AH -- the service passes its configured code; the body stays DUIS's
    message = a.HubActivated("00-DB-12-34-56-78-90-A0", "1A2B")
    envelope = a.AlertEnvelope.of(
        a.make_alert_id(DCC, "90-B3-D5-1F-30-01-00-00", 7),
        "90-B3-D5-1F-30-01-00-00",
        datetime(2026, 1, 5, 9, tzinfo=UTC),
        message,
        code="N64",
    )
    root = parsed(render_alert(envelope))
    assert root.findtext(f".//{SR}DCCAlertCode") == "N64"
    assert duis_5_4().validate(root)


@FAST
@given(st.lists(envelopes(), min_size=1, max_size=6))
def test_a_batch_validates_and_each_alert_keeps_its_own_id(batch: list[a.AlertEnvelope]) -> None:
    # covers: X4 -- webhook batching never merges or renumbers alerts
    root = parsed(render_batch(batch), ALERT_BATCH)
    assert [r.findtext(f"{SR}Header/{SR}ResponseID") for r in root] == [e.alert_id for e in batch]
    assert all(r.tag == RESPONSE for r in root)


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError):
        render_batch([])


@FAST
@given(envelopes())
def test_rendering_is_repeatable_so_retries_are_identical(envelope: a.AlertEnvelope) -> None:
    # covers: X4 -- the same alert ID and bytes on every retry
    assert render_alert(envelope) == render_alert(envelope)


def test_instruction_status_says_a_second_supplier_exists_but_never_who() -> None:
    # covers: BR3.3
    hub_fields = {f.name for f in dataclasses.fields(a.HubInstructionState)}
    assert hub_fields == {
        "guid",
        "second_supplier_exists",
        "second_supplier_instructed",
        "planned_activation_at",
    }
    other_supplier = "90-B3-D5-1F-30-09-09-09"
    recipient = "90-B3-D5-1F-30-01-00-00"
    state = a.HubInstructionState("00-DB-12-34-56-78-90-A0", True, True)
    message = a.InstructionStatus(
        "C-1",
        "I-1",
        a.DeploymentKind.PILOT,
        datetime(2026, 3, 1, tzinfo=UTC),
        None,
        1,
        0,
        (state,),
    )
    xml = render_alert(
        a.AlertEnvelope.of(
            a.make_alert_id(DCC, recipient, 1),
            recipient,
            datetime(2026, 2, 1, tzinfo=UTC),
            message,
        )
    )
    assert b"<sr:SecondSupplierExists>true<" in xml
    assert other_supplier.encode() not in xml


def test_rollout_decision_uses_the_domain_decisions_in_xml_case() -> None:
    # covers: BR6.3, BR6.5
    recipient = "90-B3-D5-1F-30-01-00-00"
    message = a.RolloutDecision(
        "C-1",
        a.Decision.DELAY_END,
        "incident triaged",
        "INC-9",
        a.PendingEffect.UNAFFECTED,
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
    )
    envelope = a.AlertEnvelope.of(
        a.make_alert_id(DCC, recipient, 2), recipient, datetime(2026, 2, 1, tzinfo=UTC), message
    )
    root = parsed(render_alert(envelope))
    assert root.findtext(f".//{SR}Decision") == "DelayEnd"
    assert root.findtext(f".//{SR}EffectOnPendingInstructions") == "Unaffected"
    assert root.findtext(f".//{SR}NewEndDateTime") == "2026-04-01T00:00:00.000Z"


def test_control_characters_in_free_text_are_replaced_not_fatal() -> None:
    recipient = "90-B3-D5-1F-30-01-00-00"
    message = a.NotificationRevoked("C-1", "bad\x00release\x1b", datetime(2026, 1, 1, tzinfo=UTC))
    envelope = a.AlertEnvelope.of(
        a.make_alert_id(DCC, recipient, 3), recipient, datetime(2026, 1, 1, tzinfo=UTC), message
    )
    assert parsed(render_alert(envelope)).findtext(f".//{SR}Reason") == "bad\ufffdrelease\ufffd"


def test_content_outside_the_schema_fails_loudly_at_render_time() -> None:
    recipient = "90-B3-D5-1F-30-01-00-00"
    message = a.NotificationRevoked("not an id!", "why", datetime(2026, 1, 1, tzinfo=UTC))
    envelope = a.AlertEnvelope.of(
        a.make_alert_id(DCC, recipient, 4), recipient, datetime(2026, 1, 1, tzinfo=UTC), message
    )
    with pytest.raises(AlertInvalid) as info:
        render_alert(envelope)
    assert "CampaignID" in str(info.value)
    assert info.value.problems


def test_signer_output_is_what_is_sent_and_a_signature_fits_the_schema() -> None:
    recipient = "90-B3-D5-1F-30-01-00-00"
    envelope = a.AlertEnvelope.of(
        a.make_alert_id(DCC, recipient, 5),
        recipient,
        datetime(2026, 1, 1, tzinfo=UTC),
        a.HubActivated("00-DB-12-34-56-78-90-A0", "0102"),
    )
    ds = "http://www.w3.org/2000/09/xmldsig#"

    def fake_signer(element: etree._Element) -> etree._Element:
        signature = etree.SubElement(element, f"{{{ds}}}Signature", nsmap={"ds": ds})
        etree.SubElement(signature, f"{{{ds}}}SignedInfo")
        etree.SubElement(signature, f"{{{ds}}}SignatureValue").text = "AAAA"
        return element

    root = parsed(render_alert(envelope, signer=fake_signer))
    assert root[-1].tag == f"{{{ds}}}Signature"
    assert alert_element(envelope).find(f"{{{ds}}}Signature") is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: a.HubActivated("00-db-12-34-56-78-90-a0", "01"),  # not canonical upper case
        lambda: a.DefaultPilotList("C-1", ("nope",)),
        lambda: a.NotificationRevoked("C-1", "why", datetime(2026, 1, 1)),  # naive
        lambda: a.ReportReady("R-1", "ref", -1),
        lambda: a.DefaultPilotSchedule(
            "C-1", (a.SchedulePeriod(datetime(2026, 1, 1), datetime(2026, 1, 2), None, ()),)
        ),
    ],
)
def test_messages_refuse_values_no_alert_may_carry(build: Any) -> None:
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(
    ("alert_id", "code", "recipient"),
    [
        ("not-an-id", "N70", "90-B3-D5-1F-30-01-00-00"),
        (f"{DCC}:90-B3-D5-1F-30-01-00-00:{2**64}", "N70", "90-B3-D5-1F-30-01-00-00"),
        (f"{DCC}:90-B3-D5-1F-30-01-00-00:1", "X1", "90-B3-D5-1F-30-01-00-00"),
        (f"{DCC}:90-B3-D5-1F-30-01-00-00:1", "N70", "90-b3-d5-1f-30-01-00-00"),
    ],
)
def test_envelopes_refuse_ids_duis_could_not_carry(
    alert_id: str, code: str, recipient: str
) -> None:
    message = a.HubActivated("00-DB-12-34-56-78-90-A0", "01")
    with pytest.raises(ValueError):
        a.AlertEnvelope(alert_id, code, recipient, datetime(2026, 1, 1, tzinfo=UTC), message)
    with pytest.raises(ValueError):
        a.make_alert_id(DCC, recipient, -1)
