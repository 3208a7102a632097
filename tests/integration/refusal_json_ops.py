"""Every JSON API mutation of the service, with the refusals its own rules add (see
refusal_json for the ones every operation gets)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.integration.campaign_fixtures import RELEASE
from tests.integration.conftest import DCC_ID, SUPPLIER_A, SUPPLIER_B
from tests.integration.refusal_json import (
    CAMPAIGN,
    CSP,
    DCC,
    DCC_SUP,
    SUP,
    V1,
    JsonKind,
    Op,
    R,
    _campaigns,
    _ints,
    _op,
    generic,
    iso,
    unknown_eui64,
)
from tests.integration.refusal_json_files import (
    IMPORT,
    SCHEDULE_CSV,
    UPLOAD_CSV,
    _certificates,
    _csv_import_with_a_bad_row,
    _upload,
)
from tests.integration.refusal_world import HOOK_URL, SUPPLIER_E


def _command(path: str, body: dict[str, Any], *illegal: str) -> tuple[Op, list[JsonKind]]:
    """A lifecycle command, refused (409) on campaigns whose stage does not allow it."""
    op = Op("POST" if not path.endswith("automatic-date") else "PUT",
            f"{V1}/campaigns/{{campaign_id}}/{path}", DCC, DCC_ID,
            lambda w: {"campaign_id": getattr(w, illegal[0]).campaign_id},
            lambda w: {**R, **body}, CAMPAIGN)  # fmt: skip
    stage = JsonKind("wrong-stage", op, lambda w: _campaigns(w, *illegal).map(
        lambda c: op.call(w, params={"campaign_id": c}, note=c)), frozenset({409}))  # fmt: skip
    return op, [stage]


def operations() -> list[tuple[Op, list[JsonKind]]]:
    code = {"code": unknown_eui64() | st.from_regex(r"CSP-[A-Z]{3,8}", fullmatch=True)}
    hooks = f"{V1}/webhooks"
    endpoint = {"endpoint_id": _ints()}
    mine = lambda w: {"endpoint_id": str(w.endpoints[SUPPLIER_A])}  # noqa: E731
    parties = Op(
        "POST",
        f"{V1}/parties",
        DCC,
        DCC_ID,
        body=lambda w: {
            "kind": "supplier",
            "code": "90-B3-D5-1F-30-0A-00-00",
            "name": "New",
            "roles": ["IS"],
        },
    )
    status = Op(
        "PUT",
        f"{V1}/parties/{{code}}/status",
        DCC,
        DCC_ID,
        lambda w: {"code": SUPPLIER_B},
        lambda w: {"status": "suspended", **R},
        code,
    )
    cert = Op(
        "PUT",
        f"{V1}/parties/{{code}}/certificate",
        DCC,
        DCC_ID,
        lambda w: {"code": SUPPLIER_A},
        lambda w: {"certificate_pem": None},
        code,
    )
    keys = Op(
        "POST",
        f"{V1}/parties/{{code}}/keys",
        DCC,
        DCC_ID,
        lambda w: {"code": SUPPLIER_B},
        lambda w: {"label": "x"},
        code,
    )
    revoke = Op(
        "DELETE",
        f"{V1}/keys/{{key_id}}",
        DCC,
        DCC_ID,
        lambda w: {"key_id": str(w.key_ids[SUPPLIER_B])},
        lambda w: dict(R),
        {"key_id": _ints()},
    )
    contacts = f"{V1}/parties/{{code}}/email-contacts"
    contact = {"code": unknown_eui64(), "contact_id": _ints()}
    a_contact = lambda w: {"code": SUPPLIER_A, "contact_id": str(w.contact)}  # noqa: E731
    add_contact = Op(
        "POST", contacts, DCC, DCC_ID, lambda w: {"code": SUPPLIER_B},
        lambda w: {"address": "ops@beta.example"}, {"code": unknown_eui64()},
    )  # fmt: skip
    change_contact = Op(
        "PATCH", f"{contacts}/{{contact_id}}", DCC, DCC_ID, a_contact,
        lambda w: {"notices": ["N70"]}, contact,
    )  # fmt: skip
    remove_contact = Op(
        "DELETE", f"{contacts}/{{contact_id}}", DCC, DCC_ID, a_contact, unknown=contact
    )
    email_replay = Op(
        "POST", f"{V1}/email/dead-letters/replay", DCC, DCC_ID, body=lambda w: {"ids": [1]}
    )
    release = Op(
        "POST", f"{V1}/releases", DCC, DCC_ID, body=lambda w: {**RELEASE, "model": "KC-900"}
    )
    campaign = Op(
        "POST",
        f"{V1}/campaigns",
        DCC,
        DCC_ID,
        body=lambda w: {"release_id": w.release_ids["KC-200"], **R},
    )
    triage = Op(
        "POST",
        f"{V1}/incidents/{{incident_id}}/triage",
        DCC,
        DCC_ID,
        lambda w: {"incident_id": w.decided_incident},
        lambda w: {"decision": "proceed", **R},
        {"incident_id": st.integers(100_000, 999_999).map(lambda n: f"INC-{n:06d}")},
    )
    results = Op(
        "POST",
        f"{V1}/csp/campaigns/{{campaign_id}}/activation-results",
        CSP,
        "CSP-C",
        lambda w: {"campaign_id": w.launch.campaign_id},
        lambda w: {
            "results": [{"guid": w.launch.a_only[2], "outcome": "distributed", "at": iso(0.01)}]
        },
        CAMPAIGN,
    )
    guard = Op(
        "PUT",
        f"{V1}/campaigns/{{campaign_id}}/guardrails",
        DCC,
        DCC_ID,
        lambda w: {"campaign_id": w.launch.campaign_id},
        lambda w: {
            "rules": [
                {
                    "stage": "SafeLaunch",
                    "dimension": "overall",
                    "max_failure_rate": 0.5,
                    "min_sample": 10,
                }
            ],
            **R,
        },
        CAMPAIGN,
    )
    lift = Op(
        "POST",
        f"{V1}/slice-pauses/{{pause_id}}/lift",
        DCC,
        DCC_ID,
        lambda w: {"pause_id": str(w.lifted_pause)},
        lambda w: dict(R),
        {"pause_id": _ints()},
    )
    create = Op(
        "POST",
        f"{hooks}/endpoints",
        DCC_SUP,
        SUPPLIER_A,
        body=lambda w: {"url": HOOK_URL, "codes": ["N63"]},
    )
    patch = Op(
        "PATCH",
        f"{hooks}/endpoints/{{endpoint_id}}",
        DCC_SUP,
        SUPPLIER_A,
        mine,
        lambda w: {"description": "changed"},
        endpoint,
    )
    delete = Op(
        "DELETE", f"{hooks}/endpoints/{{endpoint_id}}", DCC_SUP, SUPPLIER_A, mine, unknown=endpoint
    )
    rotate = Op(
        "POST",
        f"{hooks}/endpoints/{{endpoint_id}}/rotate-secret",
        DCC_SUP,
        SUPPLIER_A,
        mine,
        lambda w: {"overlap_seconds": 60},
        endpoint,
    )
    replay = Op(
        "POST",
        f"{hooks}/dead-letters/{{delivery_id}}/replay",
        DCC_SUP,
        SUPPLIER_A,
        lambda w: {"delivery_id": str(w.dead_letter)},
        unknown={"delivery_id": _ints(100_000)},
    )
    window = Op(
        "POST",
        f"{hooks}/dead-letters/replay",
        DCC_SUP,
        SUPPLIER_A,
        body=lambda w: {"since": iso(-1), "until": iso(1)},
    )
    ack = Op("POST", f"{V1}/feed/ack", SUP, SUPPLIER_A, body=lambda w: {"cursor": "1"})
    private = st.sampled_from(
        [
            "http://10.0.0.1/h",
            "http://169.254.169.254/latest",
            "http://192.168.1.1/",
            "file:///etc/passwd",
            "ftp://example.com/",
            "http://[::ffff:10.0.0.1]/",
            "https://user:pw@127.0.0.1/",
        ]
    )
    return [
        _op(parties,
            ("exists", lambda w: st.sampled_from([
                {"kind": "supplier", "code": SUPPLIER_A, "name": "Again", "roles": ["GS"]},
                {"kind": "csp", "code": "CSP-N", "name": "Again", "regions": []},
                {"kind": "dcc", "code": DCC_ID, "name": "Again"}]).map(
                lambda b: parties.call(w, body=b, note=b["code"])), {409}),
            ("region-taken", lambda w: st.sampled_from(["North", "South", "Central"]).map(
                lambda r: parties.call(w, body={"kind": "csp", "code": "CSP-X", "name": "X",
                                               "regions": [r]}, note=r)), {409, 422})),
        _op(status,
            ("dcc-suspends-itself", lambda w: st.just(DCC_ID).map(
                lambda c: status.call(w, params={"code": c})), {409})),
        _op(cert,
            ("for-a-csp", lambda w: st.sampled_from(["CSP-N", "CSP-C", DCC_ID]).map(
                lambda c: cert.call(w, params={"code": c},
                                    body={"certificate_pem": w.b_certificate.decode()})),
             {409, 422})),
        _op(keys),
        _op(revoke,
            ("dcc-last-key", lambda w: st.just(w.key_ids[DCC_ID]).map(
                lambda k: revoke.call(w, params={"key_id": str(k)})), {409})),
        _op(IMPORT,
            ("one-bad-row", _csv_import_with_a_bad_row, {422}),
            ("wrong-media", lambda w: st.sampled_from(["application/json", "text/plain", ""]).map(
                lambda m: IMPORT.call(w, media=m, note=m)), {415, 422})),
        _op(release,
            ("exists", lambda w: st.just(0).map(
                lambda _: release.call(w, body={**RELEASE, "model": "KC-300"})), {409}),
            ("bad-fields", lambda w: st.sampled_from([
                {"version": "XYZ!"}, {"version": "123456789"}, {"image_hash": "zz"},
                {"manufacturer": ""}, {"severity": "Apocalyptic"}]).map(
                lambda b: release.call(w, body={**RELEASE, "model": "KC-901", **b})), {422})),
        _op(campaign,
            ("unknown-release", lambda w: _ints().map(
                lambda r: campaign.call(w, body={"release_id": int(r), **R})), {404, 422}),
            ("bad-pilot-window", lambda w: st.sampled_from([(10, 5), (10, 10 + 200), (-5, 30)]).map(
                lambda p: campaign.call(w, body={"release_id": w.release_ids["KC-200"],
                                                 "with_pilot": True, "pilot_start": iso(p[0]),
                                                 "pilot_end": iso(p[1]), **R})), {409, 422})),
        _command("pilot/schedule", {"start": iso(70), "end": iso(90)}, "launch", "revoked"),
        _command("pilot/start", {}, "launch", "revoked", "paused"),
        _command("pilot/succeed", {}, "pilot", "launch", "revoked"),
        _command("pilot/fail", {}, "pilot", "launch", "revoked"),
        _command("safe-launch/start", {}, "launch", "revoked", "paused"),
        _command("safe-launch/complete", {"succeeded": True}, "pilot", "revoked", "paused"),
        _command("close", {}, "pilot", "launch", "revoked", "paused"),
        _command("revoke", {}, "revoked"),
        _command("automatic-date", {"automatic_deployment_date": iso(200)}, "revoked"),
        _command("decisions", {"decision": "resume"}, "pilot", "launch", "revoked"),
        _op(triage,
            ("already-decided", lambda w: st.sampled_from(["proceed", "pause", "stop"]).map(
                lambda d: triage.call(w, body={"decision": d, **R}, note=d)), {409}),
            ("not-for-this-stage", lambda w: st.just("resume").map(
                lambda d: triage.call(w, params={"incident_id": w.pending_incident},
                                      body={"decision": d, **R})), {409, 422})),
        _upload("default-pilot-list", lambda w: UPLOAD_CSV.format(w.pilot.b_only[0]).encode(),
                "launch", "revoked"),
        _upload("default-pilot-schedule", lambda w: SCHEDULE_CSV.format(
            iso(61), iso(62), w.pilot.b_only[0]).encode(), "launch", "revoked"),
        _upload("safe-launch-schedule", lambda w: SCHEDULE_CSV.format(
            iso(61), iso(62), w.launch.b_only[0]).encode(), "revoked"),
        _op(add_contact,
            ("bad-address", lambda w: st.sampled_from(["not-an-address", "a@", "@b.example",
                                                      "a b@c.example"]).map(
                lambda a: add_contact.call(w, body={"address": a}, note=a)), {422}),
            ("unknown-notice", lambda w: st.sampled_from(["N99", "N63x", ""]).map(
                lambda k: add_contact.call(w, body={"address": "x@beta.example",
                                                    "notices": [k]})), {422})),
        _op(change_contact,
            ("unknown-notice", lambda w: st.sampled_from(["N99", "X", ""]).map(
                lambda k: change_contact.call(w, body={"notices": [k]})), {422})),
        _op(remove_contact),
        _op(email_replay),
        _op(results,
            ("no-results", lambda w: st.just({"results": []}).map(
                lambda b: results.call(w, body=b)), {422})),
        _op(guard,
            ("out-of-range", lambda w: st.sampled_from([
                {"max_failure_rate": 1.5}, {"max_failure_rate": -0.1}, {"min_sample": 0},
                {"stage": "Everything"}, {"dimension": "colour"}]).map(
                lambda r: guard.call(w, body={"rules": [{"stage": "SafeLaunch",
                                                         "dimension": "overall",
                                                         "max_failure_rate": 0.5,
                                                         "min_sample": 10, **r}], **R})),
             {422})),
        _op(lift,
            ("already-lifted", lambda w: st.just(0).map(lambda _: lift.call(w)), {409}),
            ("blank-reason", lambda w: st.sampled_from(["", " ", "\n\t"]).map(
                lambda r: lift.call(w, params={"pause_id": str(w.active_pause)},
                                    body={"reason": r})), {422})),
        _op(create,
            ("private-url", lambda w: private.map(
                lambda u: create.call(w, body={"url": u, "codes": ["N63"]}, note=u)), {422}),
            ("unknown-code", lambda w: st.from_regex(r"N[0-9]{2}", fullmatch=True).filter(
                lambda c: not (63 <= int(c[1:]) <= 83) and c != "N63").map(
                lambda c: create.call(w, body={"url": HOOK_URL, "codes": [c]})), {422}),
            ("dcc-names-nobody", lambda w: st.sampled_from([None, "90-B3-D5-1F-30-0F-0F-0F",
                                                           "CSP-N"]).map(
                lambda p: create.call(w, who=DCC_ID, body={"url": HOOK_URL, "codes": ["N63"],
                                                           **({"party": p} if p else {})})),
             {404, 422}),
            ("supplier-names-another", lambda w: st.sampled_from([SUPPLIER_B, SUPPLIER_E]).map(
                lambda p: create.call(w, body={"url": HOOK_URL, "codes": ["N63"], "party": p})),
             {403, 404, 422})),
        _op(patch,
            ("someone-elses", lambda w: st.sampled_from([SUPPLIER_B, SUPPLIER_E]).map(
                lambda who: patch.call(w, who=who)), {404}),
            ("private-url", lambda w: private.map(
                lambda u: patch.call(w, body={"url": u}, note=u)), {422})),
        _op(delete,
            ("someone-elses", lambda w: st.sampled_from([SUPPLIER_B, SUPPLIER_E]).map(
                lambda who: delete.call(w, who=who)), {404})),
        _op(rotate,
            ("someone-elses", lambda w: st.sampled_from([SUPPLIER_B, SUPPLIER_E]).map(
                lambda who: rotate.call(w, who=who)), {404}),
            ("overlap-out-of-range", lambda w: st.sampled_from([-1, 7 * 86_400 + 1, 10**12]).map(
                lambda s: rotate.call(w, body={"overlap_seconds": s})), {422})),
        _op(replay,
            ("someone-elses", lambda w: st.sampled_from([SUPPLIER_B, SUPPLIER_E]).map(
                lambda who: replay.call(w, who=who)), {404}),
            ("endpoint-disabled", lambda w: st.sampled_from([DCC_ID, SUPPLIER_B]).map(
                lambda who: replay.call(w, who=who, params={
                    "delivery_id": str(w.dead_letter_disabled)})), {409})),
        _op(window,
            ("backwards", lambda w: st.floats(0.01, 30).map(
                lambda d: window.call(w, body={"since": iso(d), "until": iso(0)})), {422}),
            ("unknown-endpoint", lambda w: _ints().map(
                lambda e: window.call(w, body={"since": iso(-1), "until": iso(1),
                                               "endpoint_id": int(e)})), {404})),
        _op(ack,
            ("future-cursor", lambda w: st.integers(10**6, 10**17).map(
                lambda c: ack.call(w, body={"cursor": str(c)})), {422}),
            ("bad-cursor", lambda w: st.sampled_from(["abc", "-1", "", "1.5", "9" * 19]).map(
                lambda c: ack.call(w, body={"cursor": c}, note=c)), {422})),
    ]  # fmt: skip


def json_kinds() -> list[JsonKind]:
    ops = operations()
    found = {op.key: op for op, _ in ops}
    cert, parties = (
        found["PUT", f"{V1}/parties/{{code}}/certificate"],
        found["POST", f"{V1}/parties"],
    )
    return [k for op, specific in ops for k in [*generic(op), *specific]] + _certificates(
        cert, parties
    )


def operation_keys() -> set[tuple[str, str]]:
    return {op.key for op, _ in operations()}
