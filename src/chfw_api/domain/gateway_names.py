"""Names in the gateway's file drops: what a CSP ID and a file name may look like.

Folder and file names are built from a CSP ID, a file kind and a campaign ID. Each part must be
a plain name (letters, digits and a few separators, never `..`, a slash or a leading dot) so
that no value stored in the database can make a path that leaves the gateway root.
"""

from __future__ import annotations

import re

from chfw_api.domain.errors import InvalidIdentifier

CSP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")
PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,63}")
FILE_NAME = re.compile(r"(?P<seq>[0-9]{12})-(?P<kind>[a-z\-]+)-(?P<campaign>[A-Za-z0-9.\-]+)\.xml")


def check_csp_id(csp_id: str) -> str:
    if not isinstance(csp_id, str) or CSP_ID.fullmatch(csp_id) is None or ".." in csp_id:
        raise InvalidIdentifier(
            f"CSP ID {csp_id!r} cannot name a gateway folder: letters, digits, '-' and '_' only"
        )
    return csp_id


def check_part(what: str, part: str) -> str:
    if not isinstance(part, str) or PART.fullmatch(part) is None or ".." in part:
        raise InvalidIdentifier(f"gateway file {what} {part!r} is not a safe name part")
    return part


def file_name(seq: int, kind: str, campaign_id: str | None) -> str:
    """`{seq:012d}-{kind}-{campaign}.xml`: sorts in creation order, never a path."""
    if not 0 <= seq < 10**12:
        raise ValueError(f"sequence {seq} does not fit 12 digits")
    name = (
        f"{seq:012d}-{check_part('kind', kind)}-{check_part('campaign', campaign_id or 'none')}.xml"
    )
    if FILE_NAME.fullmatch(name) is None:
        raise InvalidIdentifier(f"gateway file name {name!r} is not well-formed")
    return name
