"""Schemathesis hooks for tests/e2e/test_openapi_fuzz_full.py (loaded by the `schemathesis`
process through its config file's `hooks` key).

- `refusals_name_documented_rules`: schema-valid input may be refused (422, or a DUIS 400) only
  by a rule the operation documents beyond its JSON Schema, in `x-chfw-rules`
  (api/fields.py). Each problem's field must be one of them; a JSON Schema failure names
  `body.x`/`query.x` instead, so a schema that allows what the server refuses still fails.
- `OperatorKey` (only when CHFW_FUZZ_DATABASE_URL is set): the DCC run may revoke its own key
  once it has issued itself another (only the last live key is kept from it); like an
  operator with the CLI, the run then issues itself a new key, so every later operation is
  still exercised with a valid one.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

RULES = "x-chfw-rules"
REQUEST_PARTS = {"body", "query", "path", "header", "cookie"}
WHOLE_BODY = "body"  # the body is a document in a grammar JSON Schema cannot carry


def _refused_names(response: Any) -> set[str]:
    media = response.headers.get("content-type", [""])[0].split(";")[0]
    if media != "application/problem+json":
        return {WHOLE_BODY}  # a DUIS sr:Response: only a document-body operation answers one
    body = json.loads(response.content or b"{}")
    names = {_name(item) for item in body.get("errors") or []}
    return names or {"*"}


def _name(item: dict[str, Any]) -> str:
    """A request validation error (located in the request) is never a documented rule: it is
    the server refusing what its schema allows. A domain refusal names its field."""
    location = str(item.get("location") or "")
    if location.split(".")[0] in REQUEST_PARTS:
        return location
    return str(item.get("field") or "*")


@schemathesis.check
def refusals_name_documented_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if case.method.upper() != case.operation.method.upper():
        return None  # an undeclared-method probe, not this operation
    if response.status_code not in (400, 422):
        return None
    rules: dict[str, str] = case.operation.definition.raw.get(RULES) or {}
    if WHOLE_BODY in rules:
        return None
    undocumented = _refused_names(response) - set(rules)
    if undocumented:
        raise AssertionError(
            f"schema-valid input refused ({response.status_code}) for {sorted(undocumented)}, "
            f"which the operation's {RULES} do not name (documented: {sorted(rules) or 'none'})"
        )
    return None


if os.environ.get("CHFW_FUZZ_DATABASE_URL"):
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.domain.errors import Unauthenticated
    from chfw_api.services import parties as party_service

    _container = build(Settings(database_url=os.environ["CHFW_FUZZ_DATABASE_URL"]))
    _code = os.environ["CHFW_FUZZ_PARTY"]

    @schemathesis.auth(refresh_interval=None)
    class OperatorKey:
        def __init__(self) -> None:
            self.key = os.environ["CHFW_FUZZ_KEY"]

        def get(self, case: Any, ctx: Any) -> str:
            try:
                party_service.authenticate(_container.uow(read_only=True), key=self.key)
            except Unauthenticated:
                issued = party_service.issue_key(
                    _container.uow(), _container.clock, party_code=_code, label="fuzz", actor="cli"
                )
                self.key = issued.key
            return self.key

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
