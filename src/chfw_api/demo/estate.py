"""The demo's estate: a sample estate written to disk, and what the demo's actors know of it.

Suppliers know their own hubs and CSPs the hubs on their networks; the demo plays all of them,
so it reads the CSV it wrote once, keeping the hubs the campaign will find eligible (the same
rule as the eligible snapshot: Commissioned, a targeted model, not already on the new version;
the demo checks its count against the campaign's).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from chfw_api.estate import write_sample_estate


class Hub(NamedTuple):
    guid: str
    model: str
    region: str
    importer: str | None
    gas: str | None
    production_proving: bool
    pilot_excluded: bool

    @property
    def suppliers(self) -> frozenset[str]:
        return frozenset(s for s in (self.importer, self.gas) if s)

    @property
    def split(self) -> bool:
        return len(self.suppliers) == 2


@dataclass
class Estate:
    directory: Path
    total_hubs: int
    split_hubs: int
    dcc: str
    suppliers: dict[str, str]  # User ID -> name
    csps: dict[str, tuple[str, str]]  # CSP ID -> (name, region)
    models: tuple[str, ...]
    eligible: list[Hub] = field(default_factory=list)
    _index: dict[str, Hub] | None = None

    def hub(self, guid: str) -> Hub:
        if self._index is None:
            self._index = {h.guid: h for h in self.eligible}
        return self._index[guid]

    @property
    def hubs_csv(self) -> Path:
        return self.directory / "hubs.csv"

    @property
    def parties_json(self) -> Path:
        return self.directory / "parties.json"

    def csp_of_region(self, region: str) -> str:
        return next(c for c, (_, r) in self.csps.items() if r == region)

    def by_csp(self, hubs: list[Hub]) -> dict[str, list[Hub]]:
        out: dict[str, list[Hub]] = {c: [] for c in self.csps}
        for h in hubs:
            out[self.csp_of_region(h.region)].append(h)
        return out


def generate(
    directory: Path, *, hubs: int, suppliers: int, split_share: float, seed: int, version: str
) -> Estate:
    summary = write_sample_estate(
        directory, hubs=hubs, suppliers=suppliers, split_share=split_share, seed=seed
    )
    parties = json.loads(summary.parties_json.read_text())
    estate = Estate(
        directory=directory,
        total_hubs=summary.hubs,
        split_hubs=summary.split_supplier,
        dcc=parties["dcc"]["user_id"],
        suppliers={s["user_id"]: s["name"] for s in parties["suppliers"]},
        csps={c["csp_id"]: (c["name"], c["regions"][0]) for c in parties["csps"]},
        models=(),
    )
    models: Counter[str] = Counter()
    with summary.hubs_csv.open(newline="") as f:
        for row in csv.DictReader(f):
            models[row["DeviceModel"]] += 1
            if row["DeviceStatus"] != "Commissioned" or row["DeviceFirmwareVersion"] == version:
                continue
            estate.eligible.append(
                Hub(
                    row["DeviceID"],
                    row["DeviceModel"],
                    row["CSPRegion"],
                    row["ImportSupplier"] or None,
                    row["GasSupplier"] or None,
                    row["ProductionProving"] == "1",
                    row["PilotExcluded"] == "1",
                )
            )
    estate.models = tuple(sorted(models))
    return estate
