"""The per-request GUID limit (issue #12.5) is counted on the bytes, before any tree is built:
exactly the limit passes, one more is refused E110021 naming both numbers, whatever prefix the
elements carry; a body that merely mentions DeviceID in text is not refused for it."""

from __future__ import annotations

import pytest

from chfw_api.duis.errors import TOO_MANY_GUIDS, XmlRejected
from chfw_api.duis.parser import parse_request
from chfw_api.duis.shape import check_guid_count

GUID = "00-11-22-33-44-55-66-77"


def _ids(n: int, prefix: str = "sr:", name: str = "DeviceID") -> bytes:
    return (f"<{prefix}{name}>{GUID}</{prefix}{name}>" * n).encode()


@pytest.mark.parametrize("prefix", ["sr:", "", "x:"])
def test_the_limit_itself_passes_and_one_more_is_refused_naming_both(prefix: str) -> None:
    # covers: X5
    check_guid_count(_ids(10, prefix), 10)
    with pytest.raises(XmlRejected) as refused:
        check_guid_count(_ids(10, prefix) + _ids(1, prefix, "ExcludeDeviceID"), 10)
    assert refused.value.code == TOO_MANY_GUIDS
    assert "11 GUIDs" in str(refused.value) and "at most 10" in str(refused.value)


def test_text_that_mentions_the_name_is_not_counted_as_elements() -> None:
    body = b"<sr:Note>" + b"DeviceID DeviceID> " * 50 + b"</sr:Note>" + _ids(3)
    check_guid_count(body, 3)


def test_a_request_over_the_limit_is_refused_before_it_is_parsed() -> None:
    # Not even well-formed: the count comes first, so the answer is about the GUIDs.
    with pytest.raises(XmlRejected) as refused:
        parse_request(b"<sr:Request>" + _ids(6), max_guids=5)
    assert refused.value.code == TOO_MANY_GUIDS
