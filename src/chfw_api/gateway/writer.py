"""The gateway writer job: puts each queued CSP file on disk (docs/csp-gateway.md).

Files are queued by the use cases' handlers (`services.gateway_consequences`) in the
`gateway_files` outbox; this adapter job drains it. It depends on the services' ports only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from chfw_api.domain.clock import Clock
from chfw_api.gateway.files import file_name, outbound_dir, sweep_temporaries, write_file
from chfw_api.services.unit_of_work import UnitOfWork


class _Settings(Protocol):
    @property
    def gateway_root(self) -> Path: ...
    @property
    def gateway_claim_size(self) -> int: ...


class Runtime(Protocol):
    """What the writer job needs of the container."""

    @property
    def settings(self) -> _Settings: ...
    @property
    def clock(self) -> Clock: ...
    def uow(self, *, read_only: bool = False) -> UnitOfWork: ...


def write_pending_files(container: Runtime) -> int:
    """The writer job: put every queued file on disk, atomically, in order; returns how many.

    Claims a batch, writes each file (temp name, fsync, rename, fsync dir; checksum first),
    then marks the batch written in the same transaction. A crash anywhere leaves the rows
    unwritten, and the next run finds any file already in place with the right hash and
    leaves it be, so files are neither lost nor duplicated nor half-written.
    """
    root = container.settings.gateway_root
    swept: set[Path] = set()
    total = 0
    while True:
        with container.uow() as uow:
            batch = uow.gateway.claim(container.settings.gateway_claim_size)
            if not batch:
                return total
            for f in batch:
                directory = outbound_dir(root, f.csp_id)
                if directory not in swept:
                    sweep_temporaries(directory)
                    swept.add(directory)
                write_file(
                    directory, file_name(f.id, f.kind, f.campaign_id), f.body, sha256=f.sha256
                )
            uow.gateway.mark_written([f.id for f in batch], container.clock.now())
            uow.commit()
        total += len(batch)
