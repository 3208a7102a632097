"""Sample estates: realistic, reproducible inventories for demos, load tests and the CLI.

Kept apart from the domain package because it writes files; the domain only defines what a good
hub row is, and this package promises to produce nothing but good rows.
"""

from __future__ import annotations

from chfw_api.estate.sample import SampleEstateSummary, flag_counts, write_sample_estate

__all__ = ["SampleEstateSummary", "flag_counts", "write_sample_estate"]
