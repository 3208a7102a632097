"""A Service Request's figures, read back from the exchange itself.

The route has the request bytes and the `sr:Response` it answered with; the response header
(ours, rendered just now) names the Service Reference, the response code and the RequestID, and
the request names its campaign near the top. Reading them here, rather than threading them out of
the gate, keeps the gate's code free of metrics and lets it move without these lines.
"""

from __future__ import annotations

import re

from chfw_api.observability import logs, metrics

_HEAD = 4096  # every element below sits in the first few hundred bytes
_REQUEST_ID = re.compile(rb"<sr:RequestID>([^<]{1,100})</sr:RequestID>")
_CODE = re.compile(rb"<sr:ResponseCode>([A-Z0-9]{1,12})</sr:ResponseCode>")
_SR = re.compile(rb"<sr:ServiceReference>([0-9.]{1,8})</sr:ServiceReference>")
_CAMPAIGN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?CampaignID>\s*([A-Za-z0-9._-]{1,40})\s*<")


def _first(pattern: re.Pattern[bytes], data: bytes) -> str | None:
    found = pattern.search(data, 0, _HEAD)
    return found.group(1).decode("ascii", "replace") if found else None


def observe(request: bytes, response: bytes, seconds: float) -> None:
    """Count the request by SR and code, time it by SR, and note it for the log lines."""
    sr = _first(_SR, response) or "unknown"
    code = _first(_CODE, response) or "unknown"
    metrics.SERVICE_REQUESTS.labels(sr=sr, code=code).inc()
    metrics.SERVICE_REQUEST_SECONDS.labels(sr=sr).observe(seconds)
    logs.note(
        sr=sr,
        duis_request_id=_first(_REQUEST_ID, response),
        campaign=_first(_CAMPAIGN, request),
    )
