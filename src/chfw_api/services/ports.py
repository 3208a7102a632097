"""Ports: what the use cases need from adapters, as protocols that `bootstrap.py` (or the route
or job that calls the use case) satisfies with a real adapter. Services import no adapter
package (`gateway/`, `delivery/`, `duis/`, `api/`, `persistence/`): pyproject's import
contracts check it.

The unit of work is the main port (`services/unit_of_work.py`); its adapter also renders DCC
Alerts and gateway files and checks signing certificates through callables bootstrap wires.
"""

from __future__ import annotations

from typing import Protocol

from chfw_api.domain.errors import Problem


class UrlPolicy(Protocol):
    """Which webhook URLs may be registered (scheme, host, resolved address not private);
    `delivery.urls.UrlPolicy` is the adapter."""

    def check(self, url: str) -> list[Problem]: ...
