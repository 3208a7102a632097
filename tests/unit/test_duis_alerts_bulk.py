"""The bulk path for long per-hub lists renders exactly what the element-by-element path does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chfw_api.domain import alerts as a
from chfw_api.domain.identifiers import guid_from_int
from chfw_api.domain.stages import DeploymentKind
from chfw_api.duis import alerts as render

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _envelope(n: int) -> a.AlertEnvelope:
    hubs = tuple(
        a.HubInstructionState(
            guid=guid_from_int(i),
            second_supplier_exists=True,
            second_supplier_instructed=i % 3 == 0,
            planned_activation_at=AT + timedelta(minutes=i) if i % 2 else None,
        )
        for i in range(n)
    )
    message = a.InstructionStatus(
        campaign_id="CMP-000001",
        instruction_id="INS-000001",
        stage=DeploymentKind.SAFE_LAUNCH,
        requested_activation_at=AT,
        planned_activation_at=AT,
        accepted=n,
        rejected=0,
        hubs=hubs,
    )
    return a.AlertEnvelope.of(
        a.make_alert_id("90-B3-D5-1F-30-00-00-02", "90-B3-D5-1F-30-01-00-00", 7),
        "90-B3-D5-1F-30-01-00-00",
        AT,
        message,
    )


def test_bulk_and_element_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # covers: BR3.3, BR5.1
    envelope = _envelope(500)
    fast = render.render_alert(envelope)  # validated against our XSD
    monkeypatch.setattr(render, "_BULK", 10**9)
    slow = render.render_alert(envelope)
    assert fast == slow
    assert fast.count(b"<sr:Hub>") == 500


@settings(max_examples=200)
@given(
    guid=st.integers(0, 2**64 - 1).map(guid_from_int),
    version=st.from_regex(r"[0-9A-F]{1,8}", fullmatch=True),
    counter=st.integers(0, 2**64 - 1),
    request=st.one_of(st.none(), st.just("90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:9")),
    code=st.sampled_from(["N63", "N64", "N999"]),
    at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
    ),
)
def test_activation_template_is_byte_identical_to_the_element_path(
    guid: str, version: str, counter: int, request: str | None, code: str, at: datetime
) -> None:
    # covers: AH, BR5.6
    envelope = a.AlertEnvelope.of(
        a.make_alert_id("90-B3-D5-1F-30-00-00-02", "90-B3-D5-1F-30-01-00-00", counter),
        "90-B3-D5-1F-30-01-00-00",
        at,
        a.HubActivated(guid=guid, firmware_version=version),
        code=code,
        request_id=request,
    )
    fast = render.render_alert(envelope)
    element = render.alert_element(envelope)
    render.validate(element)
    assert fast == render._serialise(element)


def test_activation_template_refuses_a_bad_firmware_version() -> None:
    envelope = a.AlertEnvelope.of(
        a.make_alert_id("90-B3-D5-1F-30-00-00-02", "90-B3-D5-1F-30-01-00-00", 1),
        "90-B3-D5-1F-30-01-00-00",
        AT,
        a.HubActivated(guid=guid_from_int(1), firmware_version="v1.2.3-beta"),
    )
    with pytest.raises(render.AlertInvalid):
        render.render_alert(envelope)
