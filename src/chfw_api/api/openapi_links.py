"""OpenAPI links: which response names the resource another operation's path takes.

A client reading the document learns that the `id` a `POST /webhooks/endpoints` answers is the
`{endpoint_id}` of `GET`, `PATCH` and `DELETE /webhooks/endpoints/{endpoint_id}`; a stateful
tester (schemathesis) follows the same links to chain requests on real resources. Each source
below names one path parameter and where its value is in the response; it links to every
operation whose path takes exactly that parameter.
"""

from __future__ import annotations

import re
from typing import Any

# (method, path, status, parameter, JSON pointer into the response body)
SOURCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("post", "/api/v1/releases", "201", "release_id", "/id"),
    ("get", "/api/v1/releases", "200", "release_id", "/0/id"),
    ("post", "/api/v1/campaigns", "201", "campaign_id", "/campaign_id"),
    ("get", "/api/v1/campaigns", "200", "campaign_id", "/0/campaign_id"),
    ("post", "/api/v1/parties", "201", "code", "/code"),
    ("get", "/api/v1/parties", "200", "code", "/0/code"),
    ("post", "/api/v1/parties/{code}/keys", "201", "key_id", "/id"),
    ("get", "/api/v1/parties/{code}/keys", "200", "key_id", "/0/id"),
    ("post", "/api/v1/webhooks/endpoints", "201", "endpoint_id", "/id"),
    ("get", "/api/v1/webhooks/endpoints", "200", "endpoint_id", "/0/id"),
    ("get", "/api/v1/webhooks/dead-letters", "200", "delivery_id", "/items/0/delivery_id"),
    ("get", "/api/v1/hubs", "200", "guid", "/items/0/guid"),
    ("get", "/api/v1/incidents", "200", "incident_id", "/0/incident_id"),
    ("get", "/api/v1/campaigns/{campaign_id}/slice-pauses", "200", "pause_id", "/0/id"),
)
METHODS = ("get", "put", "post", "delete", "patch")


def _targets(doc: dict[str, Any], parameter: str) -> list[str]:
    """operationIds of the operations whose path takes exactly `parameter`."""
    found = []
    for path, item in sorted(doc["paths"].items()):
        if re.findall(r"\{([^}]+)\}", path) != [parameter]:
            continue
        found += [item[m]["operationId"] for m in METHODS if m in item]
    return found


def add_links(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the links of SOURCES on their responses (in place, and returned)."""
    for method, path, status, parameter, pointer in SOURCES:
        response = doc["paths"][path][method]["responses"][status]
        links: dict[str, Any] = response.setdefault("links", {})
        for operation_id in _targets(doc, parameter):
            links[operation_id] = {
                "operationId": operation_id,
                "parameters": {parameter: f"$response.body#{pointer}"},
            }
    return doc
