"""House rules that the import graph can prove: the domain stays pure, adapters stay put."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "chfw_api"
STDLIB = set(sys.stdlib_module_names)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", _files("domain"), ids=lambda p: p.name)
def test_domain_imports_only_stdlib_and_itself(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        assert top in STDLIB or name.startswith("chfw_api.domain"), f"{path.name} imports {name}"


@pytest.mark.parametrize(
    ("library", "home"),
    [("sqlalchemy", "persistence"), ("lxml", "duis"), ("xmlschema", "duis"), ("signxml", "duis")],
)
def test_each_library_stays_in_its_adapter(library: str, home: str) -> None:
    allowed = (
        {"bootstrap.py", "api/deps.py", "api/routes/health.py"}
        if library == "sqlalchemy"
        else set()
    )
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if any(n.split(".")[0] == library for n in _imports(p))
        and p.relative_to(SRC).parts[0] != home
        and str(p.relative_to(SRC)) not in allowed
    ]
    assert offenders == []


def test_telemetry_libraries_stay_in_observability() -> None:
    """#15: tracing and metrics are adapters too; the rest of the code calls observability/."""
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if any(n.split(".")[0] in {"opentelemetry", "prometheus_client"} for n in _imports(p))
        and p.relative_to(SRC).parts[0] != "observability"
    ]
    assert offenders == []


def test_services_do_not_import_frameworks() -> None:
    for path in _files("services"):
        for name in _imports(path):
            assert name.split(".")[0] not in {"fastapi", "starlette", "sqlalchemy", "lxml"}, (
                f"{path.name} imports {name}"
            )


def _calls(path: Path) -> set[str]:
    """Names called in a module: `f(...)` as `f`, `a.b.f(...)` as `b.f`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                found.add(f.id)
            elif isinstance(f, ast.Attribute):
                owner = f.value
                prefix = (
                    owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                )
                found.add(f"{prefix}.{f.attr}")
    return found


def test_consequences_are_delivered_by_handlers_only() -> None:
    """#13: alerts enter the outbox in one place (the alert handler) and CSP files are sent by
    the gateway handlers; use cases record events instead (docs/architecture.md)."""
    outbox = sorted(p.name for p in _files("services") if "outbox.add" in _calls(p))
    assert outbox == ["alert_outbox.py"]
    forwarders = sorted(
        p.name
        for p in _files("services")
        if any(c.startswith("forward_") for c in _calls(p))
        and p.name not in {"gateway_outbound.py"}  # where forward_* live (and share steps)
    )
    assert forwarders == ["gateway_consequences.py"]
