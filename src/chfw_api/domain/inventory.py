"""The Smart Metering Inventory as this service sees it: one Communications Hub per row.

Row validation lives here, as pure rules over strings, so the CSV importer, the DCC API and the
tests share one definition of a good hub record.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chfw_api.domain.errors import Problem
from chfw_api.domain.identifiers import EUI64_PATTERN
from chfw_api.domain.parties import CspRegion, SupplierRole

_EUI64 = re.compile(EUI64_PATTERN)
_FIRMWARE = re.compile(r"[0-9A-Fa-f]{1,8}")


class DeviceStatus(enum.StrEnum):
    """DUIS SMI device statuses."""

    PENDING = "Pending"
    WHITELISTED = "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned"
    COMMISSIONED = "Commissioned"
    DECOMMISSIONED = "Decommissioned"
    WITHDRAWN = "Withdrawn"
    SUSPENDED = "Suspended"
    RECOVERY = "Recovery"
    RECOVERED = "Recovered"


DEVICE_STATUSES = frozenset(s.value for s in DeviceStatus)
CSP_REGIONS = frozenset(r.value for r in CspRegion)

# The documented CSV columns, in order. Flags are true for 1/true/yes/y (any case).
CSV_COLUMNS = (
    "DeviceID",
    "DeviceManufacturer",
    "DeviceModel",
    "DeviceFirmwareVersion",
    "DeviceStatus",
    "CSPRegion",
    "ImportSupplier",
    "GasSupplier",
    "ProductionProving",
    "FriendlyCustomer",
    "PilotExcluded",
)
REQUIRED_COLUMNS = CSV_COLUMNS[:6]
_TRUE = frozenset({"1", "true", "yes", "y", "t"})
_FALSE = frozenset({"", "0", "false", "no", "n", "f"})


@dataclass(frozen=True, slots=True)
class HubRecord:
    """A validated inventory row, identifiers normalised, suppliers resolved to party ids."""

    guid: str
    manufacturer: str
    model: str
    firmware_version: str
    status: str
    csp_region: str
    import_supplier_id: int | None
    gas_supplier_id: int | None
    production_proving: bool
    friendly_customer: bool
    pilot_excluded: bool

    @property
    def is_split_supplier(self) -> bool:
        return (
            self.import_supplier_id is not None
            and self.gas_supplier_id is not None
            and self.import_supplier_id != self.gas_supplier_id
        )


@dataclass(frozen=True)
class SupplierDirectory:
    """What row validation needs to know of suppliers: User ID -> (party id, roles held)."""

    by_user_id: Mapping[str, tuple[int, frozenset[SupplierRole]]]


class HubRowValidator:
    """Validates inventory rows positioned by a CSV header; built once per file.

    One pass per row with no per-row allocation beyond the record: the importer runs this over
    millions of rows, so the happy path is kept to set look-ups and one regex per identifier.
    """

    def __init__(self, header: Sequence[str], directory: SupplierDirectory) -> None:
        names = [h.strip() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise ValueError("missing columns: " + ", ".join(missing))
        self.width = len(names)
        self._idx = {c: (names.index(c) if c in names else None) for c in CSV_COLUMNS}
        self._directory = directory.by_user_id
        self._pos = tuple(self._idx[c] for c in CSV_COLUMNS)

    def check(self, values: Sequence[str], location: str) -> HubRecord | list[Problem]:
        if len(values) != self.width:
            return [Problem(f"has {len(values)} fields, the header has {self.width}", location)]
        g = [values[i].strip() if i is not None else "" for i in self._pos]
        guid, manufacturer, model, firmware, status, region = g[0], g[1], g[2], g[3], g[4], g[5]
        problems: list[Problem] | None = None
        if _EUI64.fullmatch(guid) is None:
            problems = [
                Problem(
                    f"{guid!r} is not a CH GUID (8 hex pairs joined by hyphens)",
                    location,
                    "DeviceID",
                )
            ]
        if not manufacturer:
            problems = _add(problems, Problem("is empty", location, "DeviceManufacturer"))
        if not model:
            problems = _add(problems, Problem("is empty", location, "DeviceModel"))
        if _FIRMWARE.fullmatch(firmware) is None:
            problems = _add(
                problems,
                Problem(
                    f"{firmware!r} is not 1 to 8 hex characters", location, "DeviceFirmwareVersion"
                ),
            )
        if status not in DEVICE_STATUSES:
            problems = _add(
                problems,
                Problem(f"{status!r} is not a DUIS SMI device status", location, "DeviceStatus"),
            )
        if region not in CSP_REGIONS:
            problems = _add(
                problems,
                Problem(
                    f"{region!r} is not a CSP region (North, Central, South)", location, "CSPRegion"
                ),
            )
        import_id = self._supplier(g[6], "ImportSupplier", SupplierRole.IMPORT, location)
        gas_id = self._supplier(g[7], "GasSupplier", SupplierRole.GAS, location)
        flags = [_flag(g[8 + k]) for k in range(3)]
        for result in (import_id, gas_id):
            if isinstance(result, Problem):
                problems = _add(problems, result)
        for k, f in enumerate(flags):
            if f is None:
                col = CSV_COLUMNS[8 + k]
                problems = _add(
                    problems,
                    Problem(
                        f"{g[8 + k]!r} is not a boolean (use 1/0 or true/false)", location, col
                    ),
                )
        if problems:
            return problems
        assert not isinstance(import_id, Problem) and not isinstance(gas_id, Problem)
        return HubRecord(
            guid.upper(),
            manufacturer,
            model,
            firmware.upper(),
            status,
            region,
            import_id,
            gas_id,
            bool(flags[0]),
            bool(flags[1]),
            bool(flags[2]),
        )

    def _supplier(
        self, value: str, column: str, role: SupplierRole, location: str
    ) -> int | Problem | None:
        if not value:
            return None
        entry = self._directory.get(value) or self._directory.get(value.upper())
        if entry is None:
            if _EUI64.fullmatch(value) is None:
                return Problem(f"{value!r} is not an EUI-64 User ID", location, column)
            return Problem(f"supplier {value.upper()} is not a registered party", location, column)
        party_id, roles = entry
        if role not in roles:
            return Problem(
                f"supplier {value.upper()} does not hold the {role.value} role", location, column
            )
        return party_id


def _add(problems: list[Problem] | None, problem: Problem) -> list[Problem]:
    if problems is None:
        return [problem]
    problems.append(problem)
    return problems


def _flag(value: str) -> bool | None:
    v = value.lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def validate_hub_row(
    row: Mapping[str, str], directory: SupplierDirectory, location: str
) -> tuple[HubRecord | None, list[Problem]]:
    """Check one row; return the record, or every problem with it (never just the first)."""
    result = HubRowValidator(CSV_COLUMNS, directory).check(
        [row.get(c) or "" for c in CSV_COLUMNS], location
    )
    if isinstance(result, list):
        return None, result
    return result, []


@dataclass(frozen=True, slots=True)
class HubView:
    """A hub as shown to one caller. A supplier never learns who the other supplier is (BR3.3)."""

    guid: str
    manufacturer: str
    model: str
    firmware_version: str
    status: str
    csp_region: str
    import_supplier: str | None
    gas_supplier: str | None
    split_supplier: bool
    production_proving: bool
    friendly_customer: bool
    pilot_excluded: bool


@dataclass(frozen=True)
class RepeatedGuids:
    """Rows of an import file naming a GUID an earlier row named: how many, and the first
    `cap` of them as (GUID, line), in line order."""

    total: int = 0
    first: tuple[tuple[str, int], ...] = ()

    def problems(self) -> list[Problem]:
        return [
            Problem(f"{g} repeats an earlier row", f"line {n}", "DeviceID") for g, n in self.first
        ]


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int
    updated: int
    problems_total: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.problems_total == 0
