"""Refused Service Requests that pass the envelope, the sender and the signature checks and are
refused by the SR's own rules (so their RequestID counter is consumed, X3): unknown or ended
campaigns, stages that take no such request, too-late or past times, lists with no hub
accepted, other suppliers' hubs, reports not ready or not one's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hypothesis import strategies as st

from chfw_api.domain.identifiers import guid_from_int
from tests.conftest import START
from tests.integration import sr_builder as sr
from tests.integration.conftest import SUPPLIER_A, SUPPLIER_ELEC
from tests.integration.refusal_sr import Attempt, Kind, envelope
from tests.integration.refusal_world import SUPPLIER_E, UNKNOWN_GUID, World

Make = Callable[[World], st.SearchStrategy[Attempt]]


def _send(w: World, sr_ref: str, body: str, who: str = SUPPLIER_A) -> Attempt:
    data, n = envelope(body, sr_ref, originator=who)
    return Attempt(w.keys[who], data, who, n)


def _days(lo: float, hi: float) -> st.SearchStrategy[datetime]:
    return st.floats(lo, hi).map(lambda d: START + timedelta(days=d))


def unknown_campaigns() -> st.SearchStrategy[str]:
    return st.integers(100_000, 999_999).map(lambda n: f"CMP-{n:06d}") | st.sampled_from(
        ["CMP-000000", "X", "cmp-000001"]
    )


def _rejected_guids(w: World) -> st.SearchStrategy[list[str]]:
    """GUIDs no list of A's can take: unknown, B's only, or not eligible for the campaign."""
    p = w.pilot
    unknown = st.integers(2**40, 2**41).map(guid_from_int)
    theirs = st.sampled_from([*p.b_only, UNKNOWN_GUID])
    return st.lists(unknown | theirs, min_size=1, max_size=6)


def _bad_periods() -> st.SearchStrategy[tuple[datetime, datetime]]:
    """Periods the pilot window (days 60 to 120, see refusal_world) cannot hold (C5): ending
    before they start, starting before the window, or ending after it."""
    backwards = st.builds(lambda t, d: (t, t - timedelta(days=d)), _days(-30, 200),
                          st.floats(0, 60))  # fmt: skip
    early = st.builds(lambda t, d: (t, t + timedelta(days=d)), _days(-30, 59.9),
                      st.floats(0.01, 30))  # fmt: skip
    late = st.builds(lambda t, d: (t, t + timedelta(days=d)), _days(60, 119),
                     st.floats(61, 200))  # fmt: skip
    return backwards | early | late


def _guids(xs: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(xs), min_size=1, max_size=len(xs), unique=True)


def kinds() -> list[Kind]:
    K = Kind
    f = frozenset
    return [
        # ------------------------------------------------------------------------- 11.5
        K("unknown-campaign", "11.5", lambda w: st.builds(
            lambda c, g: _send(w, "11.5", sr.pilot_list(c, g)), unknown_campaigns(),
            _guids(w.pilot.a_only)), f({"E110017"})),
        K("no-pilot-taken", "11.5", lambda w: st.builds(
            lambda c, g: _send(w, "11.5", sr.pilot_list(c.campaign_id, g)),
            st.sampled_from([w.launch, w.near, w.revoked]), _guids(w.pilot.a_only)),
          f({"E110501", "E110018"})),
        K("too-large", "11.5", lambda w: st.builds(
            lambda g, extra: _send(w, "11.5", sr.pilot_list(w.pilot.campaign_id, g + extra)),
            st.permutations(w.pilot.a_only + w.pilot.split_ab),
            st.lists(st.sampled_from(w.pilot.b_only), max_size=2)), f({"E110502"})),
        K("rules-too-large", "11.5", lambda w: st.builds(
            lambda n, seed: _send(w, "11.5", sr.pilot_rules(w.pilot.campaign_id, count=n,
                                                            seed=seed)),
            st.integers(9, 10_000), st.integers(0, 2**31)), f({"E110502", "E110019"})),
        K("none-accepted", "11.5", lambda w: _rejected_guids(w).map(
            lambda g: _send(w, "11.5", sr.pilot_list(w.pilot.campaign_id, g))), f({"E110503"})),
        K("rules-match-none", "11.5", lambda w: st.builds(
            lambda n, seed: _send(w, "11.5", sr.pilot_rules(w.pilot.campaign_id, count=n,
                                                            seed=seed, region="South")),
            st.integers(1, 8), st.integers(0, 2**31)), f({"E110503"})),
        # ------------------------------------------------------------------------- 11.6
        K("unknown-campaign", "11.6", lambda w: st.builds(
            lambda c, t: _send(w, "11.6", sr.schedule(c, t, t + timedelta(days=2),
                                                      w.pilot.a_only[:1])),
            unknown_campaigns(), _days(61, 100)), f({"E110017"})),
        K("no-pilot-taken", "11.6", lambda w: st.builds(
            lambda c, t: _send(w, "11.6", sr.schedule(c.campaign_id, t, t + timedelta(days=2),
                                                      c.a_only[:2])),
            st.sampled_from([w.launch, w.near, w.revoked]), _days(61, 100)),
          f({"E110601", "E110501", "E110018"})),
        K("bad-period", "11.6", lambda w: _bad_periods().map(
            lambda p: _send(w, "11.6", sr.schedule(w.pilot.campaign_id, *p, w.pilot.a_only[:2]))),
          f({"E110602"})),
        K("bad-constraint", "11.6", lambda w: st.builds(
            lambda t, c: _send(w, "11.6", sr.schedule(
                w.pilot.campaign_id, t, t + timedelta(days=2), w.pilot.a_only[:2], constraint=c)),
            _days(61, 100), st.from_regex(r"X-[A-Z]{1,12}", fullmatch=True)), f({"E110603"})),
        K("none-accepted", "11.6", lambda w: st.builds(
            lambda t, g: _send(w, "11.6", sr.schedule(w.pilot.campaign_id, t,
                                                      t + timedelta(days=2), g)),
            _days(61, 100), _rejected_guids(w)), f({"E110604"})),
        # ------------------------------------------------------------------------- 11.7
        K("unknown-campaign", "11.7", lambda w: st.builds(
            lambda c, t: _send(w, "11.7", sr.instruction(c, t, w.pilot.a_only[:2], stage="Pilot")),
            unknown_campaigns(), _days(20, 100)), f({"E110017"})),
        K("ended", "11.7", lambda w: st.builds(
            lambda t, all_: _send(w, "11.7", sr.instruction(
                w.revoked.campaign_id, t, None if all_ else w.revoked.a_only[:2])),
            _days(20, 100), st.booleans()), f({"E110018", "E110705"})),
        K("too-late", "11.7", lambda w: st.builds(
            lambda t, all_: _send(w, "11.7", sr.instruction(
                w.near.campaign_id, t, None if all_ else w.near.a_only + w.near.split_ab)),
            _days(1, 24), st.booleans()), f({"E110701"})),
        K("not-earlier", "11.7", lambda w: st.builds(
            lambda t: _send(w, "11.7", sr.instruction(w.pilot.campaign_id, t,
                                                      w.pilot.a_only[:2], stage="Pilot")),
            _days(120, 400)), f({"E110702"})),
        K("small-batch", "11.7", lambda w: st.builds(
            lambda t, g: _send(w, "11.7", sr.instruction(w.pilot.campaign_id, t, g)),
            _days(20, 150), _guids(w.pilot.a_only[3:])), f({"E110703"})),
        K("in-the-past", "11.7", lambda w: st.builds(
            lambda t: _send(w, "11.7", sr.instruction(w.pilot.campaign_id, t,
                                                      w.pilot.a_only[:2], stage="Pilot")),
            _days(-400, 0)), f({"E110704"})),
        K("stage-closed", "11.7", lambda w: st.builds(
            lambda t: _send(w, "11.7", sr.instruction(w.launch.campaign_id, t,
                                                      w.launch.a_only[:2], stage="Pilot")),
            _days(20, 100)), f({"E110705"})),
        K("paused", "11.7", lambda w: st.builds(
            lambda t, all_: _send(w, "11.7", sr.instruction(
                w.paused.campaign_id, t, None if all_ else w.paused.a_only)),
            _days(20, 100), st.booleans()), f({"E110706"})),
        K("no-time-zone", "11.7", lambda w: st.builds(
            lambda t: _send(w, "11.7", sr.instruction(w.pilot.campaign_id,
                                                      t.replace(tzinfo=None),
                                                      w.pilot.a_only[:2], stage="Pilot")),
            _days(20, 100)), f({"E110009", "E110005"})),
        K("none-accepted", "11.7", lambda w: st.builds(
            lambda t, g: _send(w, "11.7", sr.instruction(w.launch.campaign_id, t, g)),
            _days(20, 100), _rejected_guids(w)), f({"E110707"})),
        # ------------------------------------------------------------------------- 11.8
        K("unknown-report", "11.8", lambda w: st.builds(
            lambda n, who: _send(w, "11.8", sr.report(n), who),
            st.integers(3, 999_999).map(lambda n: f"RPT-{n:06d}") | st.just(w.ready_report),
            st.just(SUPPLIER_ELEC)) | st.integers(3, 999_999).map(
            lambda n: _send(w, "11.8", sr.report(f"RPT-{n:06d}"))), f({"E110801"})),
        K("report-not-ready", "11.8", lambda w: st.just(None).map(
            lambda _: _send(w, "11.8", sr.report(w.pending_report))), f({"E110802"})),
        K("unknown-campaign", "11.8", lambda w: unknown_campaigns().map(
            lambda c: _send(w, "11.8", sr.status(c))), f({"E110017"})),
        # ------------------------------------------------------------------------ 11.10
        K("unknown-campaign", "11.10", lambda w: unknown_campaigns().map(
            lambda c: _send(w, "11.10", sr.incident(c))), f({"E110017"})),
        K("no-hubs-in-campaign", "11.10", lambda w: st.just(None).map(
            lambda _: _send(w, "11.10", sr.incident(w.launch.campaign_id), SUPPLIER_E)),
          f({"E2", "E110017", "E4"})),
        K("unknown-guids", "11.10", lambda w: _rejected_guids(w).map(
            lambda g: _send(w, "11.10", sr.incident(w.launch.campaign_id,
                                                    [*w.launch.a_only[:1], *g]))),
          f({"E111001"})),
        K("nothing-deployed", "11.10", lambda w: st.booleans().map(
            lambda stop: _send(w, "11.10", sr.incident(w.pilot.campaign_id, stop=stop))),
          f({"E111002"})),
        K("ended", "11.10", lambda w: st.booleans().map(
            lambda stop: _send(w, "11.10", sr.incident(w.revoked.campaign_id, stop=stop))),
          f({"E110018", "E111002"})),
    ]  # fmt: skip
