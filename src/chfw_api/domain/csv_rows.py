"""Reading a CSV file whose bytes nobody vouches for: a malformed file is bad input, refused
naming the line and the reason (X5), never an unhandled error.

The standard library's reader raises `csv.Error` for a stray carriage return in an unquoted
field, an over-long field and the like; callers that iterate it directly turn such a file
into a 500. `csv_rows` is the one way our importers and uploads read CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import NoReturn

from chfw_api.domain.errors import Problem, ValidationFailed

MAX_FIELD = 4096
"""Characters in one field: far above any real cell, far below what could exhaust memory."""

_REASONS = (
    ("field larger than field limit", f"a field is longer than {MAX_FIELD:,} characters"),
    (
        "new-line character seen in unquoted field",
        "a line break inside an unquoted field; quote the field",
    ),
)


def _reason(exc: csv.Error) -> str:
    text = str(exc)
    return next((mine for theirs, mine in _REASONS if theirs in text.lower()), text)


def _refuse(where: str, reason: str) -> NoReturn:
    raise ValidationFailed(
        f"the CSV is malformed at {where}: {reason}; nothing was changed",
        [Problem(reason, where, code="malformed-csv")],
    ) from None


def csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Each record with its number in the file (the header is record 1).

    Give it a stream opened with `newline=""` (or `io.StringIO(text, newline="")`) so that
    quoted line breaks survive and CR, LF and CRLF all end a line. A malformed record raises
    `ValidationFailed` naming the physical line where reading stopped.
    """
    if csv.field_size_limit() != MAX_FIELD:
        csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(lines)
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            _refuse(f"line {reader.line_num}", _reason(exc))
        except UnicodeDecodeError as exc:
            # A stream decodes ahead of the reader, so only "somewhere after" is certain.
            _refuse(
                f"after line {reader.line_num}",
                f"not UTF-8: byte 0x{exc.object[exc.start]:02X} cannot be decoded",
            )
        number += 1
        yield number, row
