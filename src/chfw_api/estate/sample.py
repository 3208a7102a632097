"""Write a deterministic, realistic sample estate: `hubs.csv` (the SMI) and `parties.json`.

Why this exists: demos, load tests and end-to-end tests need an estate that looks like the GB
one (regional hub models, a few firmware versions per model, mostly Commissioned hubs, dual-fuel,
electricity-only and gas-only premises, split-supplier hubs, the RA03 flags) and that is the same
every time for a seed, so a failure seen once can be replayed. Every row it writes passes
`validate_hub_row` against the suppliers in `parties.json`.

Why it is written this way: a million hubs must take seconds, not minutes, and little memory.
So every categorical column is drawn with `random.Random.choices` over precomputed cumulative
weights, whole text fragments are precomputed per category (one joint draw picks manufacturer,
model, firmware and region together), rows are streamed out in chunks, and the few flagged hubs
are chosen up front as positions rather than drawn row by row.
"""

from __future__ import annotations

import json
import math
import os
import random
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import IO, NamedTuple

from chfw_api.domain.inventory import CSV_COLUMNS, DeviceStatus
from chfw_api.domain.parties import CspRegion, SupplierRole

HUBS_CSV = "hubs.csv"
PARTIES_JSON = "parties.json"
DCC_USER_ID = "90-B3-D5-1F-30-00-00-02"
MAX_SUPPLIERS = 255  # supplier k is User ID 90-B3-D5-1F-30-<k>-00-00: one byte
MAX_HUBS = 2**32  # GUIDs take their low 32 bits from a permutation of the row number

_CHUNK = 20_000  # rows per write: big enough to amortise, small enough to stay a few MB
_MASK32 = 0xFFFFFFFF

# Premises kinds. In GB the CH sits at the electricity meter, so gas-only premises are rare;
# they are kept at 5% so tests meet hubs with no Import Supplier.
_DUAL_FUEL, _ELECTRICITY_ONLY, _GAS_ONLY = 0.75, 0.20, 0.05

_REGION_WEIGHTS: dict[CspRegion, float] = {
    CspRegion.NORTH: 0.30,
    CspRegion.CENTRAL: 0.40,
    CspRegion.SOUTH: 0.30,
}

# Most hubs are live; the rest exercise eligibility rules (only Commissioned hubs take firmware).
_STATUS_WEIGHTS: dict[DeviceStatus, float] = {
    DeviceStatus.COMMISSIONED: 930,
    DeviceStatus.INSTALLED_NOT_COMMISSIONED: 25,
    DeviceStatus.DECOMMISSIONED: 15,
    DeviceStatus.SUSPENDED: 10,
    DeviceStatus.WITHDRAWN: 8,
    DeviceStatus.PENDING: 4,
    DeviceStatus.WHITELISTED: 4,
    DeviceStatus.RECOVERY: 2,
    DeviceStatus.RECOVERED: 2,
}


@dataclass(frozen=True)
class _Model:
    manufacturer: str
    guid_oui: str  # first three GUID bytes; locally administered (0x02) so never a real device
    name: str
    firmware: tuple[tuple[str, float], ...]  # (version, weight): older versions linger


# Fictional manufacturers. As in GB, the North (long-range radio) fleet and the Central/South
# (cellular) fleet use different hub models, so models are weighted per region.
_NORTHWAVE = ("Northwave Systems", "02-4E-57")
_KELVIN = ("Kelvin Cellular", "02-4B-43")
_MERIDIAN = ("Meridian Devices", "02-4D-44")
_MODELS: dict[str, _Model] = {
    m.name: m
    for m in (
        _Model(*_NORTHWAVE, "NWR-1", (("0100A2F3", 0.15), ("0100A310", 0.35), ("0100A41C", 0.50))),
        _Model(*_NORTHWAVE, "NWR-2", (("0201001A", 0.40), ("02010022", 0.60))),
        _Model(*_KELVIN, "KC-200", (("0300B120", 0.10), ("0300B204", 0.30), ("0300B25E", 0.60))),
        _Model(*_KELVIN, "KC-300", (("0401000C", 0.45), ("04010011", 0.55))),
        _Model(*_MERIDIAN, "MD-CH4", (("1A2B0005", 0.20), ("1A2B0007", 0.50), ("1A2B09", 0.30))),
    )
}
_MODELS_BY_REGION: dict[CspRegion, tuple[tuple[str, float], ...]] = {
    CspRegion.NORTH: (("NWR-1", 0.70), ("NWR-2", 0.30)),
    CspRegion.CENTRAL: (("KC-200", 0.45), ("KC-300", 0.25), ("MD-CH4", 0.30)),
    CspRegion.SOUTH: (("KC-200", 0.40), ("KC-300", 0.30), ("MD-CH4", 0.30)),
}

_CSPS = (
    ("CSP-N", "Highland Longwave Networks Ltd", CspRegion.NORTH),
    ("CSP-C", "Midshires Cellular Ltd", CspRegion.CENTRAL),
    ("CSP-S", "Southern Cellular Ltd", CspRegion.SOUTH),
)

# 32 x 8 fictional supplier names, enough for every one of MAX_SUPPLIERS to be unique.
_NAME_STEMS = (
    "Albion", "Brightwater", "Cobalt", "Dovecote", "Ember", "Fernhill", "Greystone", "Harbour",
    "Ivywood", "Juniper", "Kestrel", "Larkspur", "Meadowgate", "Northgate", "Oakmere", "Pennine",
    "Quayside", "Redbrook", "Saltmarsh", "Thistle", "Umberleigh", "Valebridge", "Westwind",
    "Yarrow", "Zephyr", "Ashcombe", "Bramley", "Coldharbour", "Downland", "Eastmere", "Foxglove",
    "Glenmoor",
)  # fmt: skip
_NAME_SUFFIXES = (
    "Energy", "Power", "Utilities", "Energy Supply", "Home Energy", "Energy Co", "Supply",
    "Energy Services",
)  # fmt: skip


class FlagCounts(NamedTuple):
    """How many hubs carry each RA03 flag; the flagged sets are disjoint."""

    production_proving: int
    friendly_customer: int
    pilot_excluded: int


@dataclass(frozen=True)
class SampleEstateSummary:
    """What was written, with the counts a CLI prints and a test checks."""

    hubs: int
    suppliers: int
    seed: int
    hubs_csv: Path
    parties_json: Path
    dual_fuel_same_supplier: int
    split_supplier: int
    electricity_only: int
    gas_only: int
    production_proving: int
    friendly_customer: int
    pilot_excluded: int
    by_region: Mapping[str, int]
    by_model: Mapping[str, int]
    by_status: Mapping[str, int]


@dataclass(frozen=True)
class _Supplier:
    number: int
    user_id: str
    name: str
    roles: tuple[SupplierRole, ...]
    share: float  # relative market share


def flag_counts(hubs: int) -> FlagCounts:
    """Flag counts for an estate of `hubs`: ~0.05% proving, ~0.5% friendly, RA03 exclusions.

    Pilot exclusions are capped at 90 because RA03 allows fewer than 100 excluded hubs in all.
    Each count has a floor so even small estates exercise every flag, but at most half the
    hubs are ever flagged so tiny estates stay mostly ordinary.
    """
    budget = hubs // 2
    proving = min(max(5, round(hubs * 0.0005)), budget)
    budget -= proving
    excluded = min(min(90, max(3, round(hubs * 0.0001))), budget)
    budget -= excluded
    friendly = min(max(10, round(hubs * 0.005)), budget)
    return FlagCounts(proving, friendly, excluded)


def _suppliers(count: int) -> list[_Supplier]:
    """Suppliers 1..count, largest first (Zipf-like shares, as in a market of a few big ones).

    The smallest are single-fuel: about a tenth electricity-only and a twentieth gas-only, at
    least one of each once there are four, so role checks have something to refuse.
    """
    gas_only = max(1, count // 20) if count >= 4 else 0
    electricity_only = max(1, count // 10) if count >= 4 else 0
    both = count - gas_only - electricity_only
    out = []
    for k in range(1, count + 1):
        if k <= both:
            roles: tuple[SupplierRole, ...] = (SupplierRole.IMPORT, SupplierRole.GAS)
        elif k <= both + electricity_only:
            roles = (SupplierRole.IMPORT,)
        else:
            roles = (SupplierRole.GAS,)
        stem, rank = (k - 1) % len(_NAME_STEMS), (k - 1) // len(_NAME_STEMS)
        suffix = _NAME_SUFFIXES[(stem + rank) % len(_NAME_SUFFIXES)]
        out.append(
            _Supplier(
                number=k,
                user_id=f"90-B3-D5-1F-30-{k:02X}-00-00",
                name=f"{_NAME_STEMS[stem]} {suffix}",
                roles=roles,
                share=1.0 / k,
            )
        )
    return out


def _supplier_columns(
    suppliers: Sequence[_Supplier], split_share: float
) -> tuple[list[str], list[float], list[str]]:
    """Every possible `ImportSupplier,GasSupplier` text, its weight, and its premises kind.

    One draw then fixes both columns. Split pairs are enumerated outright (at most 255 x 254),
    weighted by the product of the two shares, so no row needs a redraw to avoid IS == GS.
    """
    importers = [s for s in suppliers if SupplierRole.IMPORT in s.roles]
    gassers = [s for s in suppliers if SupplierRole.GAS in s.roles]
    dual = [s for s in suppliers if len(s.roles) == 2]
    pairs = [(a, b) for a in importers for b in gassers if a is not b]
    split_weight = _DUAL_FUEL * split_share if pairs else 0.0
    texts: list[str] = []
    weights: list[float] = []
    kinds: list[str] = []

    def add(group: Sequence[tuple[str, str, float]], total: float, kind: str) -> None:
        norm = sum(w for _, _, w in group)
        if total <= 0 or norm <= 0:
            return
        for is_id, gs_id, w in group:
            texts.append(f"{is_id},{gs_id}")
            weights.append(total * w / norm)
            kinds.append(kind)

    add([(s.user_id, s.user_id, s.share) for s in dual], _DUAL_FUEL - split_weight, "same")
    add([(a.user_id, b.user_id, a.share * b.share) for a, b in pairs], split_weight, "split")
    add([(s.user_id, "", s.share) for s in importers], _ELECTRICITY_ONLY, "electricity")
    add([("", s.user_id, s.share) for s in gassers], _GAS_ONLY, "gas")
    return texts, weights, kinds


class _Device(NamedTuple):
    region: CspRegion
    model: _Model
    firmware: str
    weight: float


def _devices() -> list[_Device]:
    """The joint (region, model, firmware) table, so one draw fills four columns."""
    out = []
    for region, region_w in _REGION_WEIGHTS.items():
        for model_name, model_w in _MODELS_BY_REGION[region]:
            model = _MODELS[model_name]
            for version, fw_w in model.firmware:
                out.append(_Device(region, model, version, region_w * model_w * fw_w))
    return out


def _email_contacts(s: _Supplier) -> list[dict[str, object]]:
    """One mailbox per supplier for Option 1's email notices (issue #14); `.example` domains
    (RFC 2606) so nothing ever leaves for a real mailbox."""
    domain = "".join(ch for ch in s.name.lower() if ch.isalnum()) + ".example"
    return [{"address": f"firmware@{domain}", "name": f"{s.name} firmware team"}]


def _parties_document(suppliers: Sequence[_Supplier]) -> dict[str, object]:
    return {
        "dcc": {"user_id": DCC_USER_ID, "name": "DCC"},
        "suppliers": [
            {
                "user_id": s.user_id,
                "name": s.name,
                "roles": [r.value for r in s.roles],
                "email_contacts": _email_contacts(s),
            }
            for s in suppliers
        ],
        "csps": [
            {"csp_id": csp_id, "name": name, "regions": [region.value]}
            for csp_id, name, region in _CSPS
        ],
    }


@contextmanager
def _replacing(path: Path) -> Iterator[IO[str]]:
    """Write beside `path` and rename into place, so a failed run never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="ascii", newline="") as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_sample_estate(
    out_dir: Path, *, hubs: int, suppliers: int, split_share: float = 0.3, seed: int = 1
) -> SampleEstateSummary:
    """Write `hubs.csv` and `parties.json` into `out_dir`; the same seed gives the same bytes.

    `split_share` is the fraction of dual-fuel hubs whose Import and Gas Suppliers differ (none
    can when there is a single supplier). Rows are streamed, so memory does not grow with
    `hubs`.
    """
    if not 0 <= hubs < MAX_HUBS:
        raise ValueError(f"hubs must be between 0 and {MAX_HUBS - 1}, not {hubs}")
    if not 1 <= suppliers <= MAX_SUPPLIERS:
        raise ValueError(f"suppliers must be between 1 and {MAX_SUPPLIERS}, not {suppliers}")
    if not (math.isfinite(split_share) and 0.0 <= split_share <= 1.0):
        raise ValueError(f"split_share must be between 0 and 1, not {split_share}")

    out_dir.mkdir(parents=True, exist_ok=True)
    hubs_path, parties_path = out_dir / HUBS_CSV, out_dir / PARTIES_JSON
    rng = random.Random(seed)

    supplier_list = _suppliers(suppliers)
    with _replacing(parties_path) as fh:
        json.dump(_parties_document(supplier_list), fh, indent=2)
        fh.write("\n")

    devices = _devices()
    dev_cum = list(accumulate(d.weight for d in devices))
    statuses = list(_STATUS_WEIGHTS)
    status_cum = list(accumulate(_STATUS_WEIGHTS.values()))
    sup_texts, sup_weights, sup_kinds = _supplier_columns(supplier_list, split_share)
    sup_cum = list(accumulate(sup_weights))

    # GUID = OUI + one seed byte + a bijection of the row number on 32 bits (odd multiplier),
    # so GUIDs are unique, not sequential, and differ between seeds.
    guid_byte, multiplier, offset = rng.getrandbits(8), rng.getrandbits(32) | 1, rng.getrandbits(32)
    halves = [f"{v >> 8:02X}-{v & 0xFF:02X}" for v in range(1 << 16)]
    guid_head = [f"{d.model.guid_oui}-{guid_byte:02X}-" for d in devices]
    device_mid = [f",{d.model.manufacturer},{d.model.name},{d.firmware}," for d in devices]
    device_region = [f",{d.region.value}," for d in devices]
    status_text = [s.value for s in statuses]
    commissioned = statuses.index(DeviceStatus.COMMISSIONED)

    # Flagged hubs are chosen as positions up front; proving and friendly hubs are live ones.
    counts = flag_counts(hubs)
    chosen = rng.sample(range(hubs), sum(counts))
    proving, friendly, _ = counts
    flags = dict.fromkeys(chosen[:proving], ",1,0,0")
    flags.update(dict.fromkeys(chosen[proving : proving + friendly], ",0,1,0"))
    flags.update(dict.fromkeys(chosen[proving + friendly :], ",0,0,1"))
    flagged = sorted(flags)

    dev_n: Counter[int] = Counter()
    status_n: Counter[int] = Counter()
    sup_n: Counter[int] = Counter()
    choices = rng.choices
    dev_idx, status_idx, sup_idx = range(len(devices)), range(len(statuses)), range(len(sup_texts))
    with _replacing(hubs_path) as fh:
        fh.write(",".join(CSV_COLUMNS) + "\n")
        for start in range(0, hubs, _CHUNK):
            stop = min(start + _CHUNK, hubs)
            js = choices(dev_idx, cum_weights=dev_cum, k=stop - start)
            ss = choices(status_idx, cum_weights=status_cum, k=stop - start)
            ks = choices(sup_idx, cum_weights=sup_cum, k=stop - start)
            here = flagged[bisect_left(flagged, start) : bisect_left(flagged, stop)]
            for position in here:
                if flags[position] != ",0,0,1":
                    ss[position - start] = commissioned
            dev_n.update(js)
            status_n.update(ss)
            sup_n.update(ks)
            lines = [
                f"{guid_head[j]}{halves[(g := (i * multiplier + offset) & _MASK32) >> 16]}-"
                f"{halves[g & 0xFFFF]}{device_mid[j]}{status_text[s]}{device_region[j]}"
                f"{sup_texts[k]},0,0,0"
                for i, j, s, k in zip(range(start, stop), js, ss, ks, strict=True)
            ]
            for position in here:
                lines[position - start] = lines[position - start][:-6] + flags[position]
            lines.append("")
            fh.write("\n".join(lines))

    by_kind: Counter[str] = Counter()
    for k, n in sup_n.items():
        by_kind[sup_kinds[k]] += n
    by_region: Counter[str] = Counter()
    by_model: Counter[str] = Counter()
    for j, n in dev_n.items():
        by_region[devices[j].region.value] += n
        by_model[devices[j].model.name] += n
    return SampleEstateSummary(
        hubs=hubs,
        suppliers=suppliers,
        seed=seed,
        hubs_csv=hubs_path,
        parties_json=parties_path,
        dual_fuel_same_supplier=by_kind["same"],
        split_supplier=by_kind["split"],
        electricity_only=by_kind["electricity"],
        gas_only=by_kind["gas"],
        production_proving=counts.production_proving,
        friendly_customer=counts.friendly_customer,
        pilot_excluded=counts.pilot_excluded,
        by_region={r.value: by_region[r.value] for r in CspRegion},
        by_model={name: by_model[name] for name in _MODELS},
        by_status={s.value: status_n[i] for i, s in enumerate(statuses)},
    )
