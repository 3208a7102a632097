"""Firmware releases: DCC records CPL entries that campaigns are created from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.releases import FirmwareRelease, Priority, ReleaseType, Severity
from chfw_api.services.unit_of_work import UnitOfWork

_FIRMWARE = re.compile(r"[0-9A-Fa-f]{1,8}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class NewRelease:
    manufacturer: str
    model: str
    version: str
    image_hash: str
    release_note_ref: str
    severity: Severity
    priority: Priority
    release_type: ReleaseType
    operational_or_security: bool


def register_release(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, release: NewRelease
) -> FirmwareRelease:
    caller.require(PartyKind.DCC)
    problems: list[Problem] = []
    if not release.manufacturer.strip():
        problems.append(Problem("is empty", field="manufacturer"))
    if not release.model.strip():
        problems.append(Problem("is empty", field="model"))
    if _FIRMWARE.fullmatch(release.version) is None:
        problems.append(Problem("must be 1 to 8 hex characters", field="version"))
    if _SHA256.fullmatch(release.image_hash) is None:
        problems.append(Problem("must be a SHA-256 in hex (64 characters)", field="image_hash"))
    if not release.release_note_ref.strip():
        problems.append(Problem("is empty", field="release_note_ref"))
    if problems:
        raise ValidationFailed("invalid firmware release", problems=problems)
    version = release.version.upper()
    with uow:
        if uow.releases.find(release.manufacturer, release.model, version) is not None:
            raise Conflict(
                f"release {release.manufacturer} {release.model} {version} already exists"
            )
        stored = uow.releases.add(
            FirmwareRelease(
                id=0,
                manufacturer=release.manufacturer.strip(),
                model=release.model.strip(),
                version=version,
                image_hash=release.image_hash.lower(),
                release_note_ref=release.release_note_ref.strip(),
                severity=release.severity,
                priority=release.priority,
                release_type=release.release_type,
                operational_or_security=release.operational_or_security,
                created_at=clock.now(),
                created_by=caller.code,
            )
        )
        uow.audit.append(
            [
                AuditRecord(
                    at=clock.now(),
                    actor=caller.code,
                    action="release.registered",
                    subject=f"release:{stored.id}",
                    after={"model": stored.model, "version": stored.version,
                           "operational_or_security": stored.operational_or_security},
                )
            ]
        )  # fmt: skip
        uow.commit()
    return stored


def get_release(uow: UnitOfWork, *, release_id: int) -> FirmwareRelease:
    with uow:
        found = uow.releases.get(release_id)
    if found is None:
        raise NotFound(f"firmware release {release_id} does not exist")
    return found


def list_releases(uow: UnitOfWork) -> list[FirmwareRelease]:
    with uow:
        return uow.releases.list_all()
