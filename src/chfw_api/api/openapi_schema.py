"""The error responses of the OpenAPI document, as the app really serves them.

FastAPI documents request validation errors as `422 application/json` in its own
`HTTPValidationError` shape, and knows nothing of what our dependencies, middleware and
exception handlers answer. Every error the JSON API serves is RFC 9457
`application/problem+json` (`api/problems.py`, and the body cap in `api/middleware.py`), and
some come from cross-cutting machinery no route declares:

- 401/403 from the API key (`api/deps.py`: every operation with a security requirement),
- 400 when FastAPI cannot read a JSON body (e.g. not UTF-8),
- 404 for an unknown or invisible item named in the path,
- 413 from the body cap, on every operation that takes a body,
- 422 from request validation and `ValidationFailed`.

`document_errors` rewrites the generated document in this one place so that routes declare only
what is theirs (descriptions, a 409, the DUIS XML answers of `/serviceD`). A response a route
already documents with content (e.g. XML) is kept as it is.
"""

from __future__ import annotations

import copy
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
FASTAPI_422_REF = "#/components/schemas/HTTPValidationError"

PROBLEM_ITEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemItem",
    "type": "object",
    "description": "One thing wrong with one item of input.",
    "required": ["reason"],
    "properties": {
        "reason": {"type": "string", "description": "why it is wrong"},
        "location": {
            "type": "string",
            "description": "where: e.g. body.results.3.guid, query.limit, a CSV line",
        },
        "field": {"type": "string"},
        "code": {"type": "string", "description": "a machine-readable reason code"},
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details. Extension members may be added; ignore unknown ones.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "description": "a URI naming the kind of problem "
            "(https://chfw.example/problems/..., or about:blank)",
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ProblemItem"},
            "description": "validation failures: every problem found (capped)",
        },
        "total_errors": {
            "type": "integer",
            "minimum": 0,
            "description": "how many problems there were, beyond the cap too",
        },
        "current_stage": {"type": "string", "description": "illegal transition: the stage"},
        "attempted": {"type": "string", "description": "illegal transition: the command"},
        "allowed": {
            "type": "array",
            "items": {"type": "string"},
            "description": "illegal transition: the commands the stage allows",
        },
        "campaign": {"type": "string", "description": "the campaign concerned"},
        "party": {"type": "string", "description": "the party concerned"},
    },
    "additionalProperties": True,
}

DEFAULT_DESCRIPTIONS: dict[str, str] = {
    "400": "the request body could not be read (e.g. not UTF-8)",
    "401": "no, malformed, unknown or revoked API key",
    "403": "the key's party may not do this (another kind of party, or suspended)",
    "404": "not found, or not visible to the caller",
    "413": "the request body is over the size limit",
    "422": "the request is invalid; every problem is named",
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": 'Bearer realm="chfw"',
        "schema": {"type": "string"},
    }
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
DOCUMENT_RULE = (
    "the document's own grammar and rules (the XSD or CSV columns the description names); "
    "a refusal names the line or element"
)


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}


def _statuses(op: dict[str, Any]) -> set[str]:
    """The error statuses the cross-cutting machinery can answer for this operation."""
    body = op.get("requestBody")
    params = op.get("parameters", [])
    found: set[str] = set()
    if op.get("security"):
        found |= {"401", "403"}
    if body is not None:
        found.add("413")
        if "application/json" in body.get("content", {}):
            found.add("400")
    if any(p.get("in") == "path" for p in params):
        found.add("404")
    if params or body is not None:
        found.add("422")
    return found


def _rewrite(status: str, response: dict[str, Any]) -> None:
    content: dict[str, Any] = response.get("content") or {}
    fastapi_422 = content.get("application/json", {}).get("schema", {}).get("$ref")
    if fastapi_422 == FASTAPI_422_REF:
        del content["application/json"]
    if not content:
        content = _problem_content()
    response["content"] = content
    if status == "401":
        response.setdefault("headers", copy.deepcopy(WWW_AUTHENTICATE))


def _references(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_references(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_references(v, ref) for v in node)
    return False


def _document_body_rules(op: dict[str, Any]) -> None:
    """A body that is a document (a Service Request's XML, a CSP file, an inventory CSV) is
    checked against its own grammar, which JSON Schema cannot carry: say so in `x-chfw-rules`
    (api/fields.py), the list of what an operation checks beyond its schema."""
    content = (op.get("requestBody") or {}).get("content", {})
    if content and "application/json" not in content:
        op.setdefault("x-chfw-rules", {})["body"] = DOCUMENT_RULE


def document_errors(generated: dict[str, Any]) -> dict[str, Any]:
    """A copy of FastAPI's generated document with the error responses as served."""
    doc = copy.deepcopy(generated)
    for item in doc.get("paths", {}).values():
        for method, op in item.items():
            if method not in METHODS:
                continue
            _document_body_rules(op)
            responses: dict[str, Any] = op.setdefault("responses", {})
            for status in _statuses(op):
                responses.setdefault(status, {"description": DEFAULT_DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith("4"):
                    _rewrite(status, response)
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    schemas["ProblemItem"] = copy.deepcopy(PROBLEM_ITEM_SCHEMA)
    if not _references(doc["paths"], FASTAPI_422_REF):
        schemas.pop("HTTPValidationError", None)
        if not _references(doc, "#/components/schemas/ValidationError"):
            schemas.pop("ValidationError", None)
    return doc
