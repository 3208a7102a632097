"""The checked-in OpenAPI document matches the code (CI runs `chfw openapi --check` too)."""

from __future__ import annotations

import json

from chfw_api.api.openapi_doc import render
from chfw_api.config import PROJECT_ROOT


def test_checked_in_openapi_matches_code() -> None:
    checked_in = (PROJECT_ROOT / "openapi" / "openapi.json").read_text()
    assert checked_in == render(), "run `chfw openapi` and commit openapi/openapi.json"


def test_every_operation_is_documented() -> None:
    doc = json.loads(render())
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") or op.get("description"), f"{method} {path}"
