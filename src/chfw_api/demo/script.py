"""The campaign the demo plays, act by act, through the real HTTP interfaces. Part 1 (here): the
notification and the pilot group; `pilot.py` plays the pilot, `launch.py` the safe launch and
the closure.

Simulated dates are offsets from T0, the moment DCC notifies the release (see docs/demo.md):

    T0      A01: DCC notifies the release with a pilot (T0+14d .. T0+56d)
    T0+1d   A02/A03: each CSP uploads its default pilot list and schedule
    T0+3d   A04/A05: suppliers send preferred pilot lists (explicit and by rules) and a schedule
    T0+5d   11.7 pilot instructions; one supplier asks for a later date (BR4.2); one is late,
            so its split hubs wait (BR3.3, BR4.1) until it instructs at T0+7d
    T0+14d  the pilot starts (the worker's tick)
    T0+20d  pilot wave 1; T0+21d an incident (11.10), DCC pauses; T0+22d DCC resumes
    T0+24d  pilot wave 2 (the later date agreed for split hubs)
    T0+26d  DCC declares the pilot a success (A06); the tick starts the safe launch (AD12)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chfw_api.demo import api as sr
from chfw_api.demo.api import Api, DemoError
from chfw_api.demo.backoffice import BackOffice
from chfw_api.demo.clock import OffsetFileClock
from chfw_api.demo.csps import Network
from chfw_api.demo.estate import Estate
from chfw_api.demo.tracking import Tracker

DAY = timedelta(days=1)
NEW_VERSION = "0F0E0D0C"
RELEASE = {
    "manufacturer": "Kelvin Cellular",
    "model": "KC-200",
    "version": NEW_VERSION,
    "image_hash": "5e" * 32,
    "release_note_ref": "https://dcc.example/cpl/notes/chfw-0F0E0D0C",
    "severity": "High",
    "priority": "Normal",
    "release_type": "PlannedMaintenance",
    "operational_or_security": False,
}
DEFAULT_LIST_PER_CSP = 90


@dataclass
class Demo:
    api: Api
    clock: OffsetFileClock
    estate: Estate
    network: Network
    track: Tracker
    t0: datetime = field(init=False)
    campaign_id: str = ""
    pilot: set[str] = field(default_factory=set)
    sr_codes: list[tuple[str, str, str]] = field(default_factory=list)  # supplier, SR, code
    checks: dict[str, Any] = field(default_factory=dict)
    incident_id: str = ""
    # Each supplier's back office: where a large instruction's closing N80 shows it is done.
    offices: dict[str, BackOffice] = field(default_factory=dict)

    def wait_for_instruction(
        self, supplier: str, instruction_id: str, timeout: float = 1800
    ) -> None:
        """A large instruction answers I99; the worker completes it in chunks and its N80 to
        the instructing supplier (the one N80 that supplier gets for it) says it is done."""
        office = self.offices[supplier]
        deadline = time.monotonic() + timeout
        while instruction_id not in office.instructions:
            if time.monotonic() > deadline:
                raise DemoError(f"instruction {instruction_id} not completed in {timeout:.0f}s")
            time.sleep(0.25)

    def at(self, days: float, hours: float = 0) -> datetime:
        return self.t0 + timedelta(days=days, hours=hours)

    def jump(self, days: float) -> None:
        self.clock.advance_to(self.at(days))

    def campaign(self) -> dict[str, Any]:
        result: dict[str, Any] = self.api.dcc("GET", f"/api/v1/campaigns/{self.campaign_id}")
        return result

    def wait_stage(self, stage: str, timeout: float = 60.0) -> None:
        """The worker's campaign tick (every 5 s) makes the automatic moves."""
        deadline = time.monotonic() + timeout
        while (now := self.campaign()["stage"]) != stage:
            if time.monotonic() > deadline:
                raise DemoError(f"campaign stayed {now}; expected the tick to reach {stage}")
            time.sleep(0.25)

    def sr(self, supplier: str, service: str, body: str, *, expect: tuple[str, ...]) -> sr.SrAnswer:
        answer = self.api.sr(supplier, service, body)
        self.sr_codes.append((supplier, service, answer.code))
        if answer.code not in expect:
            raise DemoError(f"SR {service} of {supplier}: {answer.code}\n{answer.body[:3000]}")
        return answer

    def name(self, supplier: str) -> str:
        return self.estate.suppliers[supplier]

    def forwarded(self) -> int:
        """Hubs DCC has settled a plan for: what the CSPs should hold as work."""
        counts = self.campaign()["hubs_by_status"]
        return int(sum(n for s, n in counts.items() if s != "eligible"))

    # ---------------------------------------------------------------------------------- acts

    def notify(self) -> None:
        with self.track.stage("A01 notification") as bar:
            now = self.clock.now()
            self.t0 = self.clock.advance_to(
                now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            ).replace(microsecond=0)
            release = self.api.dcc("POST", "/api/v1/releases", json=RELEASE)
            created = self.api.dcc(
                "POST",
                "/api/v1/campaigns",
                json={
                    "release_id": release["id"],
                    "reason": "CPL entry approved; every hub model takes the new radio stack",
                    "device_models": list(self.estate.models),
                    "with_pilot": True,
                    "pilot_start": self.at(14).isoformat(),
                    "pilot_end": self.at(56).isoformat(),
                },
            )
            self.campaign_id = self.network.campaign_id = created["campaign_id"]
            eligible = created["eligible_hubs"]
            if eligible != len(self.estate.eligible):
                raise DemoError(
                    f"campaign has {eligible} eligible hubs; the demo expected "
                    f"{len(self.estate.eligible)}"
                )
            self.checks["eligible"] = eligible
            self.track.event(
                "DCC",
                f"A01: {self.campaign_id} notified, {eligible:,} eligible "
                f"hubs, automatic date {created['automatic_deployment_date'][:10]}",
                "A01",
            )
            bar.advance()

    def csp_pilot_proposals(self) -> None:
        self.jump(1)
        with self.track.stage("A02/A03 CSP default pilot", total=len(self.estate.csps)) as bar:
            for csp, hubs in self.estate.by_csp(self.estate.eligible).items():
                chosen = sorted((h.guid for h in hubs if not h.pilot_excluded), key=spread)[
                    :DEFAULT_LIST_PER_CSP
                ]
                if not chosen:
                    continue
                self.api.csp_upload(
                    csp,
                    self.campaign_id,
                    "default-pilot-list",
                    sr.csp_list(self.campaign_id, chosen),
                )
                half = len(chosen) // 2
                periods = [
                    (self.at(18), self.at(21), "week 1", chosen[:half]),
                    (self.at(22), self.at(26), "week 2", chosen[half:]),
                ]
                self.api.csp_upload(
                    csp,
                    self.campaign_id,
                    "default-pilot-schedule",
                    sr.csp_schedule(
                        "CSPDefaultPilotSchedule", self.campaign_id, [p for p in periods if p[3]]
                    ),
                )
                self.track.event(
                    csp,
                    f"A02/A03: default pilot list of {len(chosen)} hubs and a two-week schedule",
                )
                bar.advance()

    def certificates(self) -> None:
        with self.track.stage("Supplier certificates", total=len(self.estate.suppliers)) as bar:
            for i, supplier in enumerate(self.estate.suppliers, start=1):
                self.api.register_certificate(supplier, serial=1000 + i, now=self.clock.now())
                bar.advance()
            self.track.event(
                "DCC",
                "registered every supplier's XML signing certificate: "
                "from now on their Service Requests must be signed",
            )

    def preferred_lists(self) -> None:
        self.jump(3)
        suppliers = list(self.estate.suppliers)
        with self.track.stage("A04/A05 preferred pilot lists", total=4) as bar:
            first, second, third = suppliers[0], suppliers[1], suppliers[2 % len(suppliers)]
            own = [
                h.guid
                for h in self.estate.eligible
                if h.suppliers == {first} and not h.pilot_excluded and not h.production_proving
            ]
            listed = sorted(own, key=spread)[:40]
            a = self.sr(
                first, "11.5", sr.preferred_list(self.campaign_id, listed), expect=("I0", "W110501")
            )
            self.track.event(
                self.name(first), f"11.5: explicit preferred list, {a.number('AcceptedCount')} hubs"
            )
            bar.advance()
            b = self.sr(
                second,
                "11.5",
                sr.preferred_rules(self.campaign_id, count=30, seed=7),
                expect=("I0",),
            )
            self.track.event(
                self.name(second),
                f"11.5: preferred list by rules (30 hubs, seed "
                f"7): {b.number('AcceptedCount')} hubs",
            )
            bar.advance()
            if third not in (first, second):
                c = self.sr(
                    third,
                    "11.5",
                    sr.preferred_rules(self.campaign_id, count=25, seed=3, region="Central"),
                    expect=("I0",),
                )
                self.track.event(
                    self.name(third),
                    "11.5: preferred list by rules (25 Central "
                    f"hubs): {c.number('AcceptedCount')} hubs",
                )
            bar.advance()
            self.load_pilot()
            mine = sorted(g for g in self.pilot if g in set(listed))[:10]
            if mine:
                self.sr(
                    first,
                    "11.6",
                    sr.preferred_schedule(
                        self.campaign_id, self.at(19), self.at(20), mine, "early"
                    ),
                    expect=("I0", "W110601"),
                )
                self.track.event(
                    self.name(first),
                    f"11.6: asks the CSPs to take {len(mine)} "
                    "hubs early (a request: the CSP decides, C1)",
                )
            bar.advance()
            self.track.event("DCC", f"pilot group composed: {len(self.pilot)} hubs (C3 cap 300)")

    def load_pilot(self) -> None:
        self.pilot = set()
        after = None
        while True:
            q = f"?limit=1000&after={after}" if after else "?limit=1000"
            page = self.api.dcc("GET", f"/api/v1/campaigns/{self.campaign_id}/pilot-monitoring{q}")
            self.pilot.update(h["guid"] for h in page["items"])
            if not (after := page["next_after"]):
                return


def spread(guid: str) -> int:
    """A stable order that mixes suppliers and models (GUIDs sort by manufacturer)."""
    return int(guid[9:].replace("-", ""), 16) * 2654435761 % 2**32
