"""A hub's current Import and Gas Supplier, from the inventory: who is told about it (alerts)
and whose instructions count for it (BR3.3, BR4)."""

from __future__ import annotations

from typing import NamedTuple


class HubSuppliers(NamedTuple):
    """Party ids, and User IDs where a use case must address the suppliers. A value, so the
    few distinct pairs of an estate can be shared by many hubs (and used as dict keys)."""

    import_id: int | None
    gas_id: int | None
    import_code: str | None = None
    gas_code: str | None = None

    @property
    def suppliers(self) -> frozenset[int]:
        return frozenset(s for s in (self.import_id, self.gas_id) if s)

    @property
    def is_split(self) -> bool:
        """Two different parties: both must instruct (BR3.3)."""
        i, g = self.import_id, self.gas_id
        return bool(i) and bool(g) and i != g

    def other_than(self, supplier_id: int) -> int | None:
        # Compared directly when `supplier_id` is one of the two (an instruction's split hubs,
        # tens of thousands a chunk); the set only for a party that is neither.
        i, g = self.import_id or None, self.gas_id or None
        if i == supplier_id:
            return g if g != supplier_id else None
        if g == supplier_id:
            return i
        others = self.suppliers - {supplier_id}
        return next(iter(others)) if others else None

    def recipients(self) -> list[tuple[int, str]]:
        """One entry per distinct supplier: a hub with the same IS and GS gets one alert."""
        out = []
        if self.import_id is not None and self.import_code is not None:
            out.append((self.import_id, self.import_code))
        if self.gas_id is not None and self.gas_code is not None and self.gas_id != self.import_id:
            out.append((self.gas_id, self.gas_code))
        return out
