"""Who may call each operation: the access policy, in one table, published in the OpenAPI
document as `x-chfw-access` (and a line of each operation's description).

The table states intent; enforcement lives in the dependencies and use cases, and
tests/integration/test_authorisation_matrix.py asks the real server, as every kind of caller,
whether the two agree. Per kind of party (dcc, supplier, csp), one scope:

- `any`: whatever resource the request names;
- `own` (suppliers): a resource it is responsible for (X2); another supplier's is answered
  as not found (404), so it learns nothing about it;
- `region` (CSPs): hubs on its network; others likewise 404.

A kind not listed is refused (403); no key is 401. Where the scoped hubs are named in the body
rather than the path, `outside` says how they are refused: a CSP file naming another network's
hub is refused whole (422, X5); activation results list each such result as rejected (200).
"""

from __future__ import annotations

from typing import Any

ANY, OWN, REGION = "any", "own", "region"
DCC = {"dcc": ANY}
DCC_SUPPLIERS = {"dcc": ANY, "supplier": OWN}
SUPPLIERS = {"supplier": OWN}
ALL = {"dcc": ANY, "supplier": OWN, "csp": REGION}
CSPS = {"csp": REGION}

# "METHOD path" -> (scope by kind of party, status for hubs outside the scope in the body)
POLICY: dict[str, tuple[dict[str, str], int | None]] = {
    "GET /api/v1/campaigns": (DCC, None),
    "POST /api/v1/campaigns": (DCC, None),
    "GET /api/v1/campaigns/{campaign_id}": (DCC, None),
    "PUT /api/v1/campaigns/{campaign_id}/automatic-date": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/close": (DCC, None),
    "GET /api/v1/campaigns/{campaign_id}/decisions": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/decisions": (DCC, None),
    "GET /api/v1/campaigns/{campaign_id}/eligible-hubs": (DCC_SUPPLIERS, None),
    "GET /api/v1/campaigns/{campaign_id}/guardrails": (DCC, None),
    "PUT /api/v1/campaigns/{campaign_id}/guardrails": (DCC, None),
    "GET /api/v1/campaigns/{campaign_id}/pilot-monitoring": (DCC_SUPPLIERS, None),
    "POST /api/v1/campaigns/{campaign_id}/pilot/fail": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/pilot/schedule": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/pilot/start": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/pilot/succeed": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/revoke": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/safe-launch/complete": (DCC, None),
    "POST /api/v1/campaigns/{campaign_id}/safe-launch/start": (DCC, None),
    "GET /api/v1/campaigns/{campaign_id}/slice-pauses": (DCC, None),
    "POST /api/v1/csp/campaigns/{campaign_id}/activation-results": (CSPS, 200),
    "POST /api/v1/csp/campaigns/{campaign_id}/default-pilot-list": (CSPS, 422),
    "POST /api/v1/csp/campaigns/{campaign_id}/default-pilot-schedule": (CSPS, 422),
    "POST /api/v1/csp/campaigns/{campaign_id}/safe-launch-schedule": (CSPS, 422),
    "GET /api/v1/csp/campaigns/{campaign_id}/uploads": ({"dcc": ANY, "csp": REGION}, None),
    "GET /api/v1/email/dead-letters": (DCC, None),
    "POST /api/v1/email/dead-letters/replay": (DCC, None),
    "GET /api/v1/feed": (SUPPLIERS, None),
    "POST /api/v1/feed/ack": (SUPPLIERS, None),
    "GET /api/v1/hubs": (ALL, None),
    "GET /api/v1/hubs/{guid}": (ALL, None),
    "GET /api/v1/incidents": (DCC_SUPPLIERS, None),
    "POST /api/v1/incidents/{incident_id}/triage": (DCC, None),
    "POST /api/v1/inventory/imports": (DCC, None),
    "DELETE /api/v1/keys/{key_id}": (DCC, None),
    "GET /api/v1/parties": (DCC, None),
    "POST /api/v1/parties": (DCC, None),
    "GET /api/v1/parties/{code}": (DCC, None),
    "GET /api/v1/parties/{code}/email-contacts": (DCC_SUPPLIERS, None),
    "POST /api/v1/parties/{code}/email-contacts": (DCC, None),
    "DELETE /api/v1/parties/{code}/email-contacts/{contact_id}": (DCC, None),
    "PATCH /api/v1/parties/{code}/email-contacts/{contact_id}": (DCC, None),
    "PUT /api/v1/parties/{code}/certificate": (DCC, None),
    "GET /api/v1/parties/{code}/keys": (DCC, None),
    "POST /api/v1/parties/{code}/keys": (DCC, None),
    "PUT /api/v1/parties/{code}/status": (DCC, None),
    "GET /api/v1/releases": (DCC, None),
    "POST /api/v1/releases": (DCC, None),
    "GET /api/v1/releases/{release_id}": (DCC, None),
    "GET /api/v1/reports/{report_id}": (SUPPLIERS, None),
    "POST /api/v1/serviceD": (SUPPLIERS, None),
    "POST /api/v1/slice-pauses/{pause_id}/lift": (DCC, None),
    "GET /api/v1/webhooks/dead-letters": (DCC_SUPPLIERS, None),
    "POST /api/v1/webhooks/dead-letters/replay": (DCC_SUPPLIERS, None),
    "POST /api/v1/webhooks/dead-letters/{delivery_id}/replay": (DCC_SUPPLIERS, None),
    "GET /api/v1/webhooks/endpoints": (DCC_SUPPLIERS, None),
    "POST /api/v1/webhooks/endpoints": (DCC_SUPPLIERS, None),
    "DELETE /api/v1/webhooks/endpoints/{endpoint_id}": (DCC_SUPPLIERS, None),
    "GET /api/v1/webhooks/endpoints/{endpoint_id}": (DCC_SUPPLIERS, None),
    "PATCH /api/v1/webhooks/endpoints/{endpoint_id}": (DCC_SUPPLIERS, None),
    "POST /api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret": (DCC_SUPPLIERS, None),
    "GET /api/v1/webhooks/stats": (DCC_SUPPLIERS, None),
    "GET /metrics": (DCC, None),
}
METHODS = ("get", "put", "post", "delete", "patch")
WHO = {"dcc": "DCC", "supplier": "suppliers", "csp": "CSPs"}
MEANING = {ANY: "", OWN: " (their own)", REGION: " (hubs on their network)"}


def _sentence(scopes: dict[str, str], outside: int | None) -> str:
    who = "; ".join(f"{WHO[k]}{MEANING[v]}" for k, v in scopes.items())
    refused = [WHO[k] for k in WHO if k not in scopes]
    line = f"Access: {who}." + (f" Refused (403): {', '.join(refused)}." if refused else "")
    if outside == 422:
        line += " A file naming another network's hub is refused whole (422)."
    elif outside == 200:
        line += " A result for another network's hub is listed as rejected."
    elif set(scopes.values()) - {ANY}:
        line += " Another party's resource named in the path is not found (404)."
    return line


def add_access(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with every secured operation's access (in place, and returned). An operation
    missing from POLICY, or a POLICY entry naming no operation, is a programming error."""
    seen: set[str] = set()
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None or not op.get("security"):
                continue
            name = f"{method.upper()} {path}"
            scopes, outside = POLICY[name]
            seen.add(name)
            op["x-chfw-access"] = dict(scopes)
            if outside is not None:
                op["x-chfw-access-outside"] = outside
            sentence = _sentence(scopes, outside)
            op["description"] = f"{op.get('description', '')}\n\n{sentence}".strip()
    unknown = sorted(set(POLICY) - seen)
    if unknown:
        raise KeyError(f"access policy for operations that do not exist: {unknown}")
    return doc
