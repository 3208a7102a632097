"""Several processes, one scrape (#15): with PROMETHEUS_MULTIPROC_DIR shared, what an API
process and a worker each counted is summed by whichever process answers /metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COUNT = """
from chfw_api.observability import metrics
metrics.ALERTS_QUEUED.labels(code="N80").inc({n})
metrics.DELIVERY_OUTCOMES.labels(outcome="delivered").inc({n})
"""
SCRAPE = """
from datetime import UTC, datetime
from chfw_api.domain.operations import OperationsFigures
from chfw_api.observability import metrics
figures = OperationsFigures(12.5, (("CMP-000001", "instructed", 40),), ())
print(metrics.exposition([], figures, datetime.now(UTC)).decode())
"""


def _python(code: str, shared: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_counts_of_two_processes_are_summed_by_a_third(tmp_path: Path) -> None:
    _python(COUNT.format(n=2), tmp_path)  # e.g. an API process
    _python(COUNT.format(n=3), tmp_path)  # e.g. a worker
    text = _python(SCRAPE, tmp_path)
    assert 'chfw_alerts_queued_total{code="N80"} 5.0' in text
    assert 'chfw_webhook_delivery_outcomes_total{outcome="delivered"} 5.0' in text
    assert "chfw_outbox_lag_seconds 12.5" in text
    assert 'chfw_campaign_hubs{campaign="CMP-000001",status="instructed"} 40.0' in text
