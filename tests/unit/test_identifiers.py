"""EUI-64 identifiers: accept either case, store and emit upper case, refuse anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chfw_api.domain.errors import InvalidIdentifier
from chfw_api.domain.identifiers import (
    guid_from_int,
    guid_to_int,
    is_eui64,
    parse_guid,
    parse_user_id,
)

hex_pair = st.text(alphabet="0123456789abcdefABCDEF", min_size=2, max_size=2)
eui64 = st.lists(hex_pair, min_size=8, max_size=8).map("-".join)


@given(eui64)
def test_any_case_normalises_to_upper(text: str) -> None:
    guid = parse_guid(text)
    assert guid == text.upper()
    assert parse_guid(guid) == guid  # idempotent
    assert is_eui64(text)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_int_round_trip(value: int) -> None:
    guid = guid_from_int(value)
    assert guid_to_int(guid) == value
    assert parse_guid(guid) == guid


@given(st.text(max_size=40))
def test_only_eight_hyphenated_hex_pairs_are_accepted(text: str) -> None:
    parts = text.split("-")
    valid = len(parts) == 8 and all(
        len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts
    )
    if valid:
        assert parse_guid(text) == text.upper()
    else:
        with pytest.raises(InvalidIdentifier):
            parse_guid(text)


@pytest.mark.parametrize(
    "bad",
    [
        "00DB1234567890A0",
        "00:DB:12:34:56:78:90:A0",
        "00-DB-12-34-56-78-90",
        "00-DB-12-34-56-78-90-A0-11",
        " 00-DB-12-34-56-78-90-A0",
        "00-DB-12-34-56-78-90-AG",
        "\uff10\uff10-DB-12-34-56-78-90-A0",  # fullwidth digits
    ],
)
def test_lookalikes_are_refused_with_the_value_named(bad: str) -> None:
    with pytest.raises(InvalidIdentifier) as err:
        parse_user_id(bad)
    assert repr(bad) in str(err.value)
