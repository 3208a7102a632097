"""Bounds for statements that join a staging table of GUIDs to an estate-sized table.

A chunk of a large instruction stages its GUIDs (`request_guids`, `chfw_named_guids`) and
joins them to `hubs`, `campaign_hubs` or `instruction_votes` by GUID. PostgreSQL often answers
such a join with a merge join, whose inner index scan starts at the estate's first GUID and
reads up to the chunk's last: chunk k of a supplier's AllEligible read k chunks' worth of every
index (bench/national.py, 300,000 hubs: each of the five statements of a chunk). The staged
GUIDs' least and greatest, as a condition on the other table's GUID, give that scan its start
and end, so a chunk reads its own range. The condition changes no result: every staged GUID
lies within it.
"""

from __future__ import annotations


def staged_range(table: str) -> str:
    """`BETWEEN (least staged) AND (greatest staged)` for a GUID column of another table."""
    return f"BETWEEN (SELECT min(guid) FROM {table}) AND (SELECT max(guid) FROM {table})"
