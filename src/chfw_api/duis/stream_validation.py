"""Schema validation that reads the body as a stream first and stops at the first chunk with
an error, so a refusal costs a few errors, however many the body holds.

Validating a tree (`XMLSchema.validate`) reports every violation, and lxml keeps each one as
an entry of nearly a kilobyte: a 3 MB body of 100,000 malformed GUIDs cost 78 MB of errors,
held by the cached schema until that thread's next validation. Here libxml2 first checks the
parser's events against the schema in C, building nothing, chunk by chunk; a valid body ends
there (read once more than before, at about the cost of a tree validation). For an invalid
one the tree is cut after the last element the failing chunk starts and what is left is
validated as a tree, which names each error's line and path: every chunk before was valid, so
only that chunk's errors are collected, and those the cut itself causes are dropped.

How the errors are seen as they happen: a parser's own error log is filled only when parsing
ends, but the thread's lxml global error log hears each error as libxml2 reports it. Each
thread gets an `_ErrorWatch` as its global log (lxml allows only a `PyErrorLog` there); it
keeps the first entries while a watch is on and drops everything otherwise (nothing of ours
reads the global log, and lxml's default, the last 100 entries, cannot be put back).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lxml import etree

from chfw_api.duis.errors import SCHEMA_INVALID, XmlProblem, XmlRejected
from chfw_api.duis.schema import log_entries

CHUNK = 64 * 1024
"""Bytes fed between looks at the errors: at most a chunk's worth (some 2,000) is collected."""

MAX_PROBLEMS = 20
_local = threading.local()


class Watch:
    """The errors libxml2 reported while the watch was on: how many, and the first few."""

    def __init__(self) -> None:
        self.errors = 0
        self.first: list[Any] = []


class _ErrorWatch(etree.PyErrorLog):  # type: ignore[misc]  # untyped in lxml-stubs
    def __init__(self) -> None:
        super().__init__()
        self.current: Watch | None = None

    def receive(self, log_entry: Any) -> None:
        watch = self.current
        if watch is None or log_entry.level < etree.ErrorLevels.ERROR:
            return
        watch.errors += 1
        if len(watch.first) < MAX_PROBLEMS:
            watch.first.append(log_entry)


@contextmanager
def watched() -> Iterator[Watch]:
    """Collect the errors this thread's lxml calls report inside the block, as they happen."""
    log: _ErrorWatch | None = getattr(_local, "log", None)
    if log is None:
        log = _local.log = _ErrorWatch()
        etree.use_global_python_log(log)
    outer, log.current = log.current, Watch()
    try:
        yield log.current
    finally:
        log.current = outer


_HARDENED: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


class _NoTree:
    """A parser target with no callbacks: libxml2 checks the events against the schema in C
    and builds nothing (the caller parsed the tree it keeps before)."""

    def close(self) -> None:
        return None


class _Count(_NoTree):
    """A target that only counts start tags: the n-th start is the n-th element of the tree."""

    def __init__(self) -> None:
        self.started = 0

    def start(self, tag: str, attrib: Any, nsmap: Any = None) -> None:
        self.started += 1


def _failing_chunk(data: bytes, schema: etree.XMLSchema) -> tuple[int, str] | None:
    """The index of the first chunk whose reading met a violation (and what lxml raised, if it
    raised), or None for a valid body. Runs at C speed: nothing is built, nothing called."""
    parser = etree.XMLParser(target=_NoTree(), schema=schema, **_HARDENED)  # type: ignore[arg-type]
    with watched() as watch:
        index = 0
        try:
            for index, offset in enumerate(range(0, len(data), CHUNK)):
                parser.feed(data[offset : offset + CHUNK])
                if watch.errors:
                    return index, ""
            parser.close()
        except etree.XMLSyntaxError as exc:  # lxml raises some violations as it meets them
            return index, str(exc)
    return None


def _started_by(data: bytes, index: int) -> int:
    """How many elements start in the body's chunks up to `index`, read the same way."""
    counter = _Count()
    parser = etree.XMLParser(target=counter, **_HARDENED)  # type: ignore[arg-type]
    for offset in range(0, (index + 1) * CHUNK, CHUNK):
        parser.feed(data[offset : offset + CHUNK])
    return counter.started


def _cut_after(root: etree._Element, n: int) -> set[etree._Element]:
    """Drop everything after the tree's n-th element in document order; the elements left
    open at the cut (the n-th and its ancestors), whose content is now short."""
    last = next(itertools.islice(root.iter(), n - 1, None))
    del last[:]
    open_at_cut, node = {last}, last
    while (parent := node.getparent()) is not None:
        del parent[parent.index(node) + 1 :]
        open_at_cut.add(parent)
        node = parent
    return open_at_cut


def _tree_problems(
    root: etree._Element, schema: etree.XMLSchema, open_at_cut: set[etree._Element]
) -> tuple[int, list[XmlProblem]]:
    """Validate what is left of the tree, whose errors carry line and path: how many, and the
    first few. Those the cut made (content missing from an element left open) are not the
    sender's and are dropped."""
    schema.validate(root)
    tree = root.getroottree()
    cut = {tree.getpath(e) for e in open_at_cut}
    found = [
        e
        for e in log_entries(schema.error_log)
        if not (e.path in cut and "Missing child element" in e.message)
    ]
    return len(found), [XmlProblem(e.message, e.line, e.path) for e in found[:MAX_PROBLEMS]]


def validate_stream(data: bytes, schema: etree.XMLSchema, root: etree._Element) -> None:
    """Raise `XmlRejected` (E110005) naming the first schema violations, each with its line
    and path, if there are any; `root` (the tree parsed from `data`) is then cut short.

    The body is first read as a stream to find the chunk where the first violation is. The
    tree is then cut after the last element that chunk starts, and what is left is validated
    as a tree, which names line and path: every chunk before was valid, so its errors are few.
    `data` is a body the hardened parser has already read (so it is well-formed and free of
    DTDs and entities); these parsers are hardened the same way all the same.
    """
    failing = _failing_chunk(data, schema)
    if failing is None:
        return
    index, raised = failing
    open_at_cut: set[etree._Element] = set()
    if (index + 1) * CHUNK < len(data):
        open_at_cut = _cut_after(root, max(1, _started_by(data, index)))
    errors, problems = _tree_problems(root, schema, open_at_cut)
    first = (problems or [XmlProblem(raised or "invalid")])[0]
    more = f" (and {errors - 1} more before reading stopped)" if errors > 1 else ""
    raise XmlRejected(
        SCHEMA_INVALID, f"not valid against the schema: {first}{more}", tuple(problems)
    )
