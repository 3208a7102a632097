"""What a Service Request's named hubs are, for one campaign: the facts its rules check."""

from __future__ import annotations

from typing import NamedTuple

from chfw_api.domain.hub_status import HubStatus


class HubFacts(NamedTuple):
    """What one named hub is, for one campaign, right now. (A named tuple: a 50,000-GUID
    request reads one per hub.)"""

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
    campaign_status: HubStatus | None
    csp_region: str | None
    model: str | None

    def supplies(self, supplier_id: int) -> bool:
        return supplier_id in (self.import_supplier_id, self.gas_supplier_id)
