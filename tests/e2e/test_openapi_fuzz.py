"""Property-based fuzzing of the checked-in OpenAPI document against the app (schemathesis).

Every operation of `openapi/openapi.json` gets a bounded number of generated requests, sent to
the ASGI app over a fresh SQLite database with a DCC key (the widest view), and a few without a
key. No response, success or error, may be a 5xx, use an undocumented status code or content type,
or break its documented schema (errors: `Problem`, see api/openapi_schema.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chfw_api.api.app import create_app
from chfw_api.bootstrap import build
from chfw_api.config import PROJECT_ROOT, Settings
from chfw_api.domain.parties import PartyKind
from chfw_api.persistence.migrations import upgrade
from chfw_api.services import parties as party_service

SCHEMA = PROJECT_ROOT / "openapi" / "openapi.json"
DCC_ID = "90-B3-D5-1F-30-00-00-02"
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@dataclass
class Target:
    app: Any
    headers: dict[str, str]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    work: Path = tmp_path_factory.mktemp("fuzz")
    container = build(
        Settings(
            database_url=f"sqlite:///{work / 'fuzz.db'}",
            gateway_root=work / "gateway",
            reports_dir=work / "reports",
        )
    )
    upgrade(container.engine)
    party_service.register_party(
        container.uow(), container.clock, kind=PartyKind.DCC, code=DCC_ID, name="DCC"
    )
    key = party_service.issue_key(container.uow(), container.clock, party_code=DCC_ID).key
    yield Target(create_app(container), {"Authorization": f"Bearer {key}"})
    container.dispose()


schema = schemathesis.openapi.from_path(SCHEMA)


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_every_response_as_documented(case: Any, target: Target) -> None:
    response = case.call(app=target.app, headers=target.headers)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_without_a_key_every_refusal_is_documented(case: Any, target: Target) -> None:
    """No key: a documented 401 problem (or a documented 4xx for a body that cannot be read)."""
    response = case.call(app=target.app)
    case.validate_response(response, checks=CHECKS)
    same_method = case.method.upper() == case.operation.method.upper()  # not a 405 probe
    if same_method and case.operation.definition.raw.get("security"):
        assert response.status_code in (400, 401, 413, 422), response.status_code
