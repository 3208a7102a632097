"""Hardened reading of untrusted XML from Service Users (interface: "Parsing is hardened").

The threats are the classic ones for XML on the internet: external entities that read files or
reach the network (XXE), entity expansion bombs ("billion laughs"), external DTDs, and bodies so
large or so deep that parsing itself is the attack. The defence is layered, so no single
mistake opens a hole:

1. the raw bytes are bounded in size and must be UTF-8 that starts with markup, so that a
   byte-level scan cannot be dodged with UTF-16, UTF-32 or EBCDIC;
2. any `<!DOCTYPE` or `<!ENTITY` in the bytes is refused before a parser sees them, and so is
   a body denser in elements or attributes than any message of ours (`duis.shape`): what a
   tree costs grows with its nodes, not its bytes;
3. libxml2 runs with entity resolution, DTD loading and network access off, and its own
   resource limits on (no `huge_tree`), so a 30,000-deep nesting stops at its depth limit;
4. the parsed tree is checked again: no DOCTYPE, no DTD, no entity nodes, and no deeper than
   the caller's depth limit (walked iteratively, never recursively);
5. schema validation streams over the bytes and stops at the first chunk with an error, so a
   body with 100,000 invalid values costs a few errors, not 100,000 of them (each error lxml
   keeps is nearly a kilobyte, and a tree validation keeps every one).

Every refusal is an `XmlRejected` with a code from `duis.errors` and a reason a person can act on.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from chfw_api.duis.errors import (
    FORBIDDEN_DTD,
    NOT_WELL_FORMED,
    TOO_DEEP,
    TOO_LARGE,
    XmlProblem,
    XmlRejected,
)
from chfw_api.duis.schema import REQUEST, load_schema, log_entries, require_root
from chfw_api.duis.shape import check_guid_count, check_shape
from chfw_api.duis.stream_validation import CHUNK, validate_stream, watched

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""16 MiB: an 11.7 instruction naming the most GUIDs one request may (300,000) fits."""

DEFAULT_MAX_DEPTH = 64
"""Our messages nest fewer than 10 levels; a signature adds a few more."""

DEFAULT_MAX_GUIDS = 300_000
"""GUIDs one Service Request may name (CHFW_MAX_REQUEST_GUIDS): six 50,000-hub batches (BR3.7)
in one instruction, 14.3 MiB of DeviceIDs, within the 16 MiB body limit."""

_UTF8_BOM = b"\xef\xbb\xbf"
_FOREIGN_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xfe\xff", b"\xff\xfe")
_FORBIDDEN_MARKUP = re.compile(rb"<!(DOCTYPE|ENTITY)")
_XML_DECL_ENCODING = re.compile(
    rb"<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._\-]*)[\"']", re.DOTALL
)
_ACCEPTED_ENCODINGS = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
# A reference to an entity no DTD declared: someone tried an entity, not a typo like "AT&T".
_ENTITY_ERRORS = frozenset({"ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY"})


_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    # Not collect_ids=False: with it, libxml2 2.14 loads an external DTD despite load_dtd.
}
_PRECEDENCE_BYTES = CHUNK


def _parser() -> etree.XMLParser:
    """A fresh parser per document: lxml parsers keep state and are not shared across threads."""
    return etree.XMLParser(**_PARSER_OPTIONS)


def _check_bytes(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise XmlRejected(
            TOO_LARGE, f"the body is {len(data)} bytes; the limit is {max_bytes} bytes"
        )
    if not data.strip():
        raise XmlRejected(NOT_WELL_FORMED, "the body is empty; expected an XML document")
    if data.startswith(_FOREIGN_BOMS) or b"\x00" in data:
        raise XmlRejected(NOT_WELL_FORMED, "the body must be encoded in UTF-8 (found UTF-16/32)")
    start = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    if not start.lstrip(b" \t\r\n").startswith(b"<"):
        raise XmlRejected(
            NOT_WELL_FORMED, "the body does not start with XML markup ('<'); expected UTF-8 XML"
        )
    declared = _XML_DECL_ENCODING.match(start.lstrip(b" \t\r\n"))
    if declared is not None and declared.group(1).lower() not in _ACCEPTED_ENCODINGS:
        name = declared.group(1).decode("ascii")
        raise XmlRejected(NOT_WELL_FORMED, f"the XML declares encoding {name!r}; use UTF-8")
    found = _FORBIDDEN_MARKUP.search(data)
    if found is not None:
        what = found.group(1).decode("ascii")
        raise XmlRejected(
            FORBIDDEN_DTD,
            f"<!{what} found at byte {found.start()}: document type declarations and entities "
            "are not accepted",
        )


def _syntax_rejection(exc: etree.XMLSyntaxError, log: list[Any], max_depth: int) -> XmlRejected:
    """Turn libxml2's first error into our code; its own limits (depth 256) count as ours."""
    entries = [e for e in log if e.level >= etree.ErrorLevels.ERROR]
    first = entries[0] if entries else None
    message = first.message if first is not None else str(exc.msg)
    line = first.line if first is not None else exc.lineno
    column = first.column if first is not None else exc.position[1]
    problems = tuple(XmlProblem(e.message, e.line) for e in entries[:10])
    if first is not None and first.type_name == "ERR_RESOURCE_LIMIT" and "depth" in message:
        return XmlRejected(
            TOO_DEEP,
            f"elements are nested deeper than {max_depth} levels (stopped at line {line})",
            problems,
        )
    if first is not None and (
        first.type_name == "IO_NETWORK_ATTEMPT" or message.startswith("failed to load")
    ):
        return XmlRejected(
            FORBIDDEN_DTD, f"external resources are not loaded (line {line}: {message})", problems
        )
    if first is not None and first.type_name in _ENTITY_ERRORS:
        return XmlRejected(
            FORBIDDEN_DTD,
            f"entity references are not accepted (line {line}, column {column}: {message})",
            problems,
        )
    return XmlRejected(
        NOT_WELL_FORMED,
        f"not well-formed XML at line {line}, column {column}: {message}",
        problems,
    )


def _depth_exceeds(root: etree._Element, max_depth: int) -> bool:
    """Walk the tree with events, not recursion: a deep document cannot blow Python's stack."""
    depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _reading_refusal(raw: bytes, max_depth: int) -> XmlRejected | None:
    """What reading the start of a body that `check_shape` refused meets first (malformed, an
    entity, too deep), if anything: that answer comes first for a body of any shape. Read with
    events, one chunk at a time and at most `_PRECEDENCE_BYTES`, so the refused shape is
    never built whole."""
    parser = etree.XMLPullParser(events=("start", "end"), **_PARSER_OPTIONS)
    depth = 0
    with watched() as watch:
        try:
            for offset in range(0, min(len(raw), _PRECEDENCE_BYTES), CHUNK):
                parser.feed(raw[offset : min(offset + CHUNK, _PRECEDENCE_BYTES)])
                for event, _element in parser.read_events():
                    depth += 1 if event == "start" else -1
                    if depth > max_depth:
                        return XmlRejected(
                            TOO_DEEP, f"elements are nested deeper than {max_depth} levels"
                        )
        except etree.XMLSyntaxError as exc:
            return _syntax_rejection(exc, watch.first, max_depth)
    return None


def parse_xml(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> etree._Element:
    """Parse an untrusted body into its root element, or raise `XmlRejected` saying why not.

    The result has no DOCTYPE, DTD, entity, comment or processing instruction in it.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_xml takes the raw body as bytes, not {type(data).__name__}")
    raw = bytes(data)
    _check_bytes(raw, max_bytes)
    try:
        check_shape(raw)
    except XmlRejected as refusal:
        raise _reading_refusal(raw, max_depth) or refusal from None
    parser = _parser()
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_rejection(exc, log_entries(parser.error_log), max_depth) from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lacks doctype / internalDTD
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRejected(FORBIDDEN_DTD, "document type declarations are not accepted")
    for _entity in root.iter(etree.Entity):
        raise XmlRejected(FORBIDDEN_DTD, "entity references are not accepted")
    if _depth_exceeds(root, max_depth):
        raise XmlRejected(TOO_DEEP, f"elements are nested deeper than {max_depth} levels")
    return root


_GIVE_BACK_ABOVE = 1024 * 1024


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    return trim


def _give_back(size: int) -> None:
    """After refusing a large body, return the pages its tree used to the system. glibc keeps
    freed small blocks for reuse, so without this RSS stays at the refused body's peak; with
    it a refusal costs nothing once answered."""
    trim = _malloc_trim() if size >= _GIVE_BACK_ABOVE else None
    if trim is not None:
        trim(0)


def let_go_of_tree(size: int) -> None:
    """Once a large request's tree is dropped, return its pages to the system, so what the
    request does next is not stacked on top of them (glibc keeps freed blocks; Python's own
    objects live in other pages and would not reuse them)."""
    _give_back(size)


def parse_validated(
    data: bytes,
    expected_root: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    schema_dir: Path | None = None,
) -> etree._Element:
    """`parse_xml`, then insist on the root element and validate against our schema."""
    root = parse_xml(data, max_bytes=max_bytes, max_depth=max_depth)
    try:
        require_root(root, expected_root)
        validate_stream(bytes(data), load_schema(schema_dir), root)
    except XmlRejected as exc:
        refusal = exc.with_traceback(None)  # its frames hold the tree
    else:
        return root
    del root
    _give_back(len(data))
    raise refusal


def parse_request(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    schema_dir: Path | None = None,
    max_guids: int = DEFAULT_MAX_GUIDS,
) -> etree._Element:
    """A Service Request body (`sr:Request`), hardened-parsed and schema-valid, or `XmlRejected`.

    Says nothing yet about who sent it: signature, RequestID counter and authorisation checks
    come after, on the tree this returns. A body naming more than `max_guids` GUIDs is refused
    (E110021) before it is parsed.
    """
    if len(data) <= max_bytes:  # a larger one is refused E110003 by the parse
        check_guid_count(bytes(data), max_guids)
    return parse_validated(
        data, REQUEST, max_bytes=max_bytes, max_depth=max_depth, schema_dir=schema_dir
    )
