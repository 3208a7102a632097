"""What a Service Request's named hubs are, for one campaign: the facts its rules check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HubFacts:
    """What one named hub is, for one campaign, right now."""

    guid: str
    known: bool
    device_status: str | None
    import_supplier_id: int | None
    gas_supplier_id: int | None
    production_proving: bool
    friendly_customer: bool
    pilot_excluded: bool
    in_campaign: bool
    in_pilot: bool
    campaign_status: str | None
    csp_region: str | None
    model: str | None

    def supplies(self, supplier_id: int) -> bool:
        return supplier_id in (self.import_supplier_id, self.gas_supplier_id)
