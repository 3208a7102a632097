"""Webhook subscriptions: a Service User registers, lists, changes and deletes its endpoints and
rotates their signing secrets; DCC sees and manages all of them.

A supplier only ever sees its own endpoints: anyone else's is "not found", never "forbidden",
so endpoint IDs reveal nothing (X2). URLs are checked (and resolved) before the transaction
opens, so a slow DNS lookup never holds the database's write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import Forbidden, NotFound, Problem, ValidationFailed
from chfw_api.domain.identifiers import normalise_eui64
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.subscriptions import (
    Endpoint,
    EndpointStatus,
    check_batch_size,
    check_codes,
    new_secret,
)
from chfw_api.services.ports import UrlPolicy
from chfw_api.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class NewEndpoint:
    url: str
    codes: tuple[str, ...]
    batch_size: int = 1
    description: str = ""
    party: str | None = None  # DCC registering on a supplier's behalf: its User ID


@dataclass(frozen=True)
class EndpointChange:
    url: str | None = None
    codes: tuple[str, ...] | None = None
    batch_size: int | None = None
    description: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class EndpointWithSecret:
    """The only time a secret leaves the service: on creation and on rotation."""

    endpoint: Endpoint
    secret: str


def _visible(endpoint: Endpoint | None, caller: Caller, endpoint_id: int) -> Endpoint:
    if endpoint is None or not (caller.is_dcc or endpoint.party_id == caller.party_id):
        raise NotFound(f"webhook endpoint {endpoint_id} not found")
    return endpoint


def _record(
    uow: UnitOfWork, at: datetime, caller: Caller, action: str, endpoint_id: int, **after: object
) -> None:
    uow.audit.append(
        [
            AuditRecord(
                at=at,
                actor=caller.code,
                action=f"webhook.{action}",
                subject=f"webhook-endpoint:{endpoint_id}",
                after=dict(after) or None,
            )
        ]
    )


def _owner_id(uow: UnitOfWork, caller: Caller, party: str | None) -> int:
    if not caller.is_dcc:
        if party is not None and party.upper() != caller.code:
            raise Forbidden("a supplier registers endpoints for itself only")
        return caller.party_id
    if party is None:
        raise ValidationFailed(
            "DCC registers endpoints on behalf of a Service User",
            problems=[Problem("give the supplier's User ID", field="party")],
        )
    owner = uow.parties.get_by_code(normalise_eui64(party, what="User ID"))
    if owner is None or owner.kind is not PartyKind.SUPPLIER:
        raise ValidationFailed(
            "unknown Service User",
            problems=[Problem(f"{party} is not a registered supplier", field="party")],
        )
    return owner.id


def _check(
    *,
    url: str | None,
    codes: tuple[str, ...] | None,
    batch_size: int | None,
    policy: UrlPolicy,
    known: frozenset[str],
) -> tuple[str, ...] | None:
    problems: list[Problem] = []
    if url is not None:
        problems += policy.check(url)
    normalised = None
    if codes is not None:
        normalised, code_problems = check_codes(codes, known)
        problems += code_problems
    if batch_size is not None:
        problems += check_batch_size(batch_size)
    if problems:
        raise ValidationFailed("the endpoint cannot be accepted; nothing was changed", problems)
    return normalised


def register_endpoint(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    new: NewEndpoint,
    policy: UrlPolicy,
    known_codes: frozenset[str],
) -> EndpointWithSecret:
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    codes = _check(
        url=new.url, codes=new.codes, batch_size=new.batch_size, policy=policy, known=known_codes
    )
    assert codes is not None
    secret = new_secret()
    with uow:
        now = clock.now()
        endpoint = uow.subscriptions.add(
            party_id=_owner_id(uow, caller, new.party),
            url=new.url,
            codes=codes,
            batch_size=new.batch_size,
            description=new.description,
            secret=secret,
            now=now,
        )
        _record(
            uow,
            now,
            caller,
            "endpoint_registered",
            endpoint.id,
            url=endpoint.url,
            codes=list(codes),
            batch_size=endpoint.batch_size,
        )
        uow.commit()
    return EndpointWithSecret(endpoint, secret)


def list_endpoints(uow: UnitOfWork, *, caller: Caller, party: str | None = None) -> list[Endpoint]:
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    with uow:
        if not caller.is_dcc:
            return uow.subscriptions.list_all(party_id=caller.party_id)
        if party is None:
            return uow.subscriptions.list_all()
        owner = uow.parties.get_by_code(normalise_eui64(party, what="User ID"))
        return [] if owner is None else uow.subscriptions.list_all(party_id=owner.id)


def get_endpoint(uow: UnitOfWork, *, caller: Caller, endpoint_id: int) -> Endpoint:
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    with uow:
        return _visible(uow.subscriptions.get(endpoint_id), caller, endpoint_id)


def update_endpoint(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    endpoint_id: int,
    change: EndpointChange,
    policy: UrlPolicy,
    known_codes: frozenset[str],
) -> Endpoint:
    """Change URL, codes, batch size or description; `enabled` pauses or resumes delivery
    (re-enabling also lifts a 410 disablement; dead letters stay until replayed)."""
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    codes = _check(
        url=change.url,
        codes=change.codes,
        batch_size=change.batch_size,
        policy=policy,
        known=known_codes,
    )
    with uow:
        now = clock.now()
        _visible(uow.subscriptions.get(endpoint_id), caller, endpoint_id)
        status = None
        reason = None
        if change.enabled is not None:
            status = EndpointStatus.ACTIVE if change.enabled else EndpointStatus.DISABLED
            reason = None if change.enabled else f"disabled by {caller.code}"
        uow.subscriptions.update(
            endpoint_id,
            now=now,
            url=change.url,
            codes=codes,
            batch_size=change.batch_size,
            description=change.description,
            status=status,
            disabled_reason=reason,
        )
        changed = {
            k: v
            for k, v in (
                ("url", change.url),
                ("codes", list(codes) if codes is not None else None),
                ("batch_size", change.batch_size),
                ("description", change.description),
                ("status", status.value if status else None),
            )
            if v is not None
        }
        _record(uow, now, caller, "endpoint_updated", endpoint_id, **changed)
        endpoint = uow.subscriptions.get(endpoint_id)
        assert endpoint is not None
        uow.commit()
    return endpoint


def delete_endpoint(uow: UnitOfWork, clock: Clock, *, caller: Caller, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery records; the alerts stay readable in the feed."""
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    with uow:
        endpoint = _visible(uow.subscriptions.get(endpoint_id), caller, endpoint_id)
        uow.subscriptions.delete(endpoint_id)
        _record(uow, clock.now(), caller, "endpoint_deleted", endpoint_id, url=endpoint.url)
        uow.commit()


def rotate_secret(
    uow: UnitOfWork,
    clock: Clock,
    *,
    caller: Caller,
    endpoint_id: int,
    overlap_seconds: int,
) -> EndpointWithSecret:
    """A new secret; the old one keeps signing (beside the new) for `overlap_seconds`, so the
    receiver can switch whenever it likes within that window."""
    caller.require(PartyKind.SUPPLIER, PartyKind.DCC)
    if not 0 <= overlap_seconds <= 7 * 86_400:
        raise ValidationFailed(
            "invalid overlap",
            problems=[Problem("must be 0 to 604800 seconds (7 days)", field="overlap_seconds")],
        )
    secret = new_secret()
    with uow:
        now = clock.now()
        _visible(uow.subscriptions.get(endpoint_id), caller, endpoint_id)
        expires = now + timedelta(seconds=overlap_seconds)
        uow.subscriptions.rotate_secret(
            endpoint_id, secret=secret, previous_expires_at=expires, now=now
        )
        _record(
            uow,
            now,
            caller,
            "secret_rotated",
            endpoint_id,
            previous_valid_until=expires.isoformat(),
        )
        endpoint = uow.subscriptions.get(endpoint_id)
        assert endpoint is not None
        uow.commit()
    return EndpointWithSecret(endpoint, secret)
