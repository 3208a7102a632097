"""The eligible-snapshot floor shared by bench/campaign_create.py and bench/national.py.

The minimum work for a campaign's snapshot is to write each eligible hub's row once into
`campaign_hubs` (its indexes and triggers included, as chfw writes it). Written as one
statement, 9,300,000 rows spill the triggers' transition tables to disk (14.5 minutes at
10,000,000 hubs, against 2 when written 50,000 estate hubs per statement), so the floor takes
the same keyset chunks as chfw: the cheaper form of the same result, raw SQL through the driver.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection

CHUNK = 50_000


def snapshot_floor(conn: Connection, models: list[str], version: str) -> float:
    """Seconds to write the snapshot for a stand-in campaign row, in `conn`'s open transaction
    (the caller rolls it back)."""
    campaign_row = 999999
    conn.exec_driver_sql(
        "INSERT INTO campaigns (id, campaign_id, release_id, manufacturer, model, version, "
        "operational_or_security, targeting, stage, notified_at, automatic_deployment_date, "
        "stage_changed_at, pilot_planned, version_counter) SELECT 999999, 'FLOOR', id, "
        "manufacturer, model, version, false, '{}', 'Notified', created_at, created_at, "
        "created_at, false, 1 FROM firmware_releases LIMIT 1"
    )
    marks = ", ".join(f"'{m}'" for m in models)
    insert = (
        "INSERT INTO campaign_hubs (campaign_id, guid, model, csp_region, from_version, "
        "import_supplier_id, gas_supplier_id, in_pilot, status) "
        f"SELECT {campaign_row}, guid, model, csp_region, firmware_version, import_supplier_id, "
        "gas_supplier_id, false, 'eligible' FROM hubs WHERE status = 'Commissioned' "
        f"AND model IN ({marks}) AND firmware_version <> '{version}' AND guid > '{{after}}'"
    )
    start = time.perf_counter()
    after = ""
    while True:
        upto = conn.exec_driver_sql(
            f"SELECT guid FROM hubs WHERE guid > '{after}' ORDER BY guid LIMIT 1 OFFSET {CHUNK - 1}"
        ).scalar()
        bound = f" AND guid <= '{upto}'" if upto is not None else ""
        conn.exec_driver_sql(insert.format(after=after) + bound)
        if upto is None:
            return time.perf_counter() - start
        after = str(upto)
