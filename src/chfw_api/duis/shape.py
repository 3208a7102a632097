"""Bounds on a body's shape, checked on the bytes before libxml2 builds anything from them.

A parsed tree costs far more than the bytes it came from: an element is some 250 bytes of
nodes however short its markup, an attribute some 200. So a body can stay under the size
limit and still cost hundreds of megabytes: 2.3 MB of one start tag with 200,000 attributes
built a 60 MB tree and 170 MB of schema errors (one per attribute). Our messages are nothing
like that: a few attributes in all, and elements no denser than one per 32 bytes (an 11.7
DeviceID takes 45). These checks refuse anything denser before it is parsed, so building the
tree of any body we accept to parse costs at most about ten times its size:

- at most `MAX_ATTRIBUTES` attributes and namespace declarations on one element;
- at most `4096 + size / 64` attributes and namespace declarations in the body;
- at most `4096 + size / 32` elements in the body.

Counting is by byte search and never undercounts (markup inside comments or CDATA counts too);
only a body whose fast count is over a bound is scanned tag by tag, quote-aware, so text that
merely contains '=' is not refused for it. The refusal is E110005 with the bound it broke.
"""

from __future__ import annotations

import re

from chfw_api.duis.errors import SCHEMA_INVALID, TOO_MANY_GUIDS, XmlRejected

MAX_ATTRIBUTES = 32
"""On one element, namespace declarations included: ours carry at most three."""

SLACK = 4096
BYTES_PER_ELEMENT = 32
BYTES_PER_ATTRIBUTE = 64

# A start tag's name, then each attribute in turn. Values stop at '<' (never allowed in one),
# so a missing closing quote cannot make one match run on through the rest of the body.
_START_TAG = re.compile(rb"<[^\s/>!?<][^\s/><]*")
_ATTRIBUTE = re.compile(rb"""\s+[^\s=/><]+\s*=\s*(?:"[^"<]*"|'[^'<]*')""")
# A '<' with more than MAX_ATTRIBUTES '=' before the next '<': the only places one element can
# hold that many attributes (possessive, so a miss costs one pass over the segment).
_CROWDED = re.compile(rb"<(?:[^<=]*+=){%d}" % (MAX_ATTRIBUTES + 1))


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _attributes_at(data: bytes, offset: int, stop: int) -> int:
    """Attributes (and namespace declarations) of the start tag at `offset`, counting no
    further than `stop`; 0 if no start tag begins there."""
    tag = _START_TAG.match(data, offset)
    if tag is None:
        return 0
    count, at = 0, tag.end()
    while count < stop and (attribute := _ATTRIBUTE.match(data, at)) is not None:
        count, at = count + 1, attribute.end()
    return count


def _too_many(what: str, limit: int, size: int) -> XmlRejected:
    return XmlRejected(
        SCHEMA_INVALID,
        f"more than {limit:,} {what} in {size:,} bytes; no message of ours is that dense",
    )


def check_shape(data: bytes) -> None:
    """Raise `XmlRejected` (E110005) if the body is denser in elements or attributes than any
    message of ours could be; cheap (a few byte counts) for one that is not."""
    size = len(data)
    elements = data.count(b"<") - data.count(b"</") - data.count(b"<!") - data.count(b"<?")
    element_limit = SLACK + size // BYTES_PER_ELEMENT
    if elements > element_limit:
        raise _too_many("elements", element_limit, size)
    signs = data.count(b"=")
    if signs <= MAX_ATTRIBUTES:
        return
    for crowded in _CROWDED.finditer(data):
        if _attributes_at(data, crowded.start(), MAX_ATTRIBUTES + 1) > MAX_ATTRIBUTES:
            raise XmlRejected(
                SCHEMA_INVALID,
                f"an element at line {_line(data, crowded.start())} has more than "
                f"{MAX_ATTRIBUTES} attributes and namespace declarations",
            )
    attribute_limit = SLACK + size // BYTES_PER_ATTRIBUTE
    if signs <= attribute_limit:
        return
    attributes = 0
    for tag in _START_TAG.finditer(data):
        attributes += _attributes_at(data, tag.start(), MAX_ATTRIBUTES)
        if attributes > attribute_limit:
            raise _too_many("attributes and namespace declarations", attribute_limit, size)


# The start tag of a DeviceID or ExcludeDeviceID, whatever its prefix: each GUID a request names.
_GUID_TAG = re.compile(rb"<(?:[^\s<>/!?:]+:)?(?:Exclude)?DeviceID[\s/>]")


def check_guid_count(data: bytes, limit: int) -> None:
    """Raise `XmlRejected` (E110021) if the body names more than `limit` GUIDs.

    Checked on the bytes, before a tree is built, so a request over the limit costs no more
    than reading it. A byte count of the name bounds the number of such elements from above,
    so the tag-by-tag count runs only when that bound is over the limit; like the other shape
    checks it never undercounts (start tags inside comments or CDATA count too).
    """
    if data.count(b"DeviceID") <= limit:
        return
    named = sum(1 for _ in _GUID_TAG.finditer(data))
    if named > limit:
        raise XmlRejected(
            TOO_MANY_GUIDS,
            f"the request names {named:,} GUIDs (DeviceID and ExcludeDeviceID); one request "
            f"may name at most {limit:,}: split the list over several requests",
        )
