"""Our DUIS-style XML Schema: where it lives, compiling it once, and validating against it.

Compiling an XSD costs milliseconds; validating a message against a compiled one costs
microseconds per element, so the compiled schema is cached. The cache is per thread because an
lxml `XMLSchema` keeps its error log on the instance: sharing one between the threads of a web
server's pool could report one request's errors against another.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, cast

from lxml import etree

from chfw_api.duis.errors import SCHEMA_INVALID, WRONG_ROOT, XmlProblem, XmlRejected

NS_SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_VERSION = "5.4"
ENTRY_POINT = "chfw-duis.xsd"

REQUEST = f"{{{NS_SR}}}Request"
RESPONSE = f"{{{NS_SR}}}Response"
ALERT_BATCH = f"{{{NS_SR}}}AlertBatch"

_MAX_PROBLEMS = 20
_local = threading.local()


@cache
def default_schema_dir() -> Path:
    """`schemas/` at the repository root; beside the package when installed without the repo."""
    repo = Path(__file__).resolve().parents[3] / "schemas"
    if (repo / ENTRY_POINT).is_file():
        return repo
    return Path(__file__).resolve().parents[1] / "schemas"


def load_schema(schema_dir: Path | None = None) -> etree.XMLSchema:
    """The compiled chfw schema from `schema_dir` (default: `default_schema_dir()`), cached."""
    if schema_dir is None:
        # The hot path (every alert rendered): no path resolution, one attribute look-up.
        default: etree.XMLSchema | None = getattr(_local, "default_schema", None)
        if default is None:
            default = _local.default_schema = load_schema(default_schema_dir())
        return default
    directory = schema_dir.resolve()
    cache: dict[Path, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = {}
        _local.schemas = cache
    schema = cache.get(directory)
    if schema is None:
        path = directory / ENTRY_POINT
        if not path.is_file():
            raise FileNotFoundError(f"the chfw DUIS schema is missing: {path}")
        # Our own file, but parsed as carefully as anything else: no network, no entities.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        schema = etree.XMLSchema(etree.parse(str(path), parser))
        cache[directory] = schema
    return schema


def log_entries(error_log: object) -> list[Any]:
    """The entries of an lxml error log (lxml-stubs does not describe `_ErrorLog`)."""
    return list(cast("Iterable[Any]", error_log))


def validate(element: etree._Element, *, schema_dir: Path | None = None) -> None:
    """Raise `XmlRejected` (E110005) listing the schema violations, if there are any."""
    schema = load_schema(schema_dir)
    if schema.validate(element):
        return
    entries = log_entries(schema.error_log)
    problems = tuple(XmlProblem(e.message, e.line, e.path) for e in entries[:_MAX_PROBLEMS])
    first = problems[0] if problems else XmlProblem("invalid")
    more = f" (and {len(entries) - 1} more)" if len(entries) > 1 else ""
    raise XmlRejected(SCHEMA_INVALID, f"not valid against the schema: {first}{more}", problems)


def require_root(element: etree._Element, expected: str) -> None:
    """Raise `XmlRejected` (E110006) unless the root is `expected` (a Clark-notation name)."""
    if element.tag != expected:
        raise XmlRejected(
            WRONG_ROOT,
            f"the root element is {element.tag!s}; this endpoint accepts {expected}",
        )
