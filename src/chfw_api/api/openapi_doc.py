"""The checked-in OpenAPI document, rendered deterministically from the code."""

from __future__ import annotations

import json

from chfw_api.api.app import create_app
from chfw_api.bootstrap import build
from chfw_api.config import Settings


def render() -> str:
    # An in-memory engine that is never connected: building the app touches no database.
    container = build(Settings(database_url="sqlite://"))
    try:
        doc = create_app(container).openapi()
    finally:
        container.dispose()
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
