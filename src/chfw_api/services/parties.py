"""Parties and API keys: registering Service Users, CSPs and the DCC operator; authentication."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chfw_api.domain.audit import AuditRecord
from chfw_api.domain.clock import Clock
from chfw_api.domain.errors import Conflict, NotFound, Problem, Unauthenticated, ValidationFailed
from chfw_api.domain.identifiers import normalise_eui64
from chfw_api.domain.parties import (
    ApiKeyInfo,
    Caller,
    CspRegion,
    Party,
    PartyKind,
    PartyStatus,
    SupplierRole,
    check_key_revocation,
    check_status_change,
    reason_problems,
)
from chfw_api.services.unit_of_work import UnitOfWork

KEY_PREFIX = "chfw_"


def hash_key(key: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """The only time the secret exists outside the caller's hands."""

    id: int
    party_code: str
    key: str
    label: str


def _new_key() -> tuple[str, str]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(KEY_PREFIX) + 6]


def _csp_code(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 64 or not all(c.isalnum() or c in "-_" for c in code):
        raise ValidationFailed(
            "invalid CSP ID",
            problems=[
                Problem(f"{code!r} must be 1-64 letters, digits, '-' or '_'", field="csp_id")
            ],
        )
    return code


def register_party(
    uow: UnitOfWork,
    clock: Clock,
    *,
    kind: PartyKind,
    code: str,
    name: str,
    roles: Iterable[SupplierRole] = (),
    regions: Iterable[CspRegion] = (),
    signing_certificate_pem: str | None = None,
    actor: str = "dcc",
) -> Party:
    code = _csp_code(code) if kind is PartyKind.CSP else normalise_eui64(code, what="User ID")
    role_set = frozenset(roles)
    region_set = frozenset(regions)
    if kind is PartyKind.SUPPLIER and not role_set:
        raise ValidationFailed(
            "a supplier needs at least one role",
            problems=[Problem("give IS, GS or both", field="roles")],
        )
    if kind is not PartyKind.SUPPLIER and role_set:
        raise ValidationFailed(
            "only suppliers hold IS/GS roles", problems=[Problem("must be empty", field="roles")]
        )
    if kind is not PartyKind.CSP and region_set:
        raise ValidationFailed(
            "only CSPs serve regions", problems=[Problem("must be empty", field="regions")]
        )
    _check_certificate(uow, signing_certificate_pem, "signing_certificate_pem")
    with uow:
        if uow.parties.get_by_code(code) is not None:
            raise Conflict(f"party {code} already exists", party=code)
        taken = [
            Problem(f"region {r} is already served by {owner}", field="regions")
            for r in sorted(region_set)
            if (owner := uow.parties.region_owner(r)) is not None
        ]
        if taken:
            raise ValidationFailed("region already served by another CSP", problems=taken)
        party = uow.parties.add(
            kind=kind,
            code=code,
            name=name,
            roles=role_set,
            now=clock.now(),
            signing_certificate_pem=signing_certificate_pem,
        )
        if region_set:
            uow.parties.assign_regions(party.id, region_set)
        registered = {"kind": kind.value, "roles": sorted(role_set), "regions": sorted(region_set)}
        _audit(uow, clock, "party.registered", code, after=registered, actor=actor)
        uow.commit()
    return Party(
        id=party.id,
        kind=party.kind,
        code=party.code,
        name=party.name,
        status=party.status,
        roles=party.roles,
        regions=region_set,
        signing_certificate_pem=party.signing_certificate_pem,
    )


def issue_key(
    uow: UnitOfWork, clock: Clock, *, party_code: str, label: str = "", actor: str = "dcc"
) -> IssuedKey:
    """A new key for a party; `actor` is who asked (a DCC User ID, or the CLI's operator)."""
    key, prefix = _new_key()
    with uow:
        party = _get(uow, party_code)
        key_id = uow.parties.add_key(
            party_id=party.id, prefix=prefix, key_hash=hash_key(key), label=label, now=clock.now()
        )
        issued = {"key_id": key_id, "prefix": prefix}
        _audit(uow, clock, "api_key.issued", party.code, after=issued, actor=actor)
        uow.commit()
    return IssuedKey(id=key_id, party_code=party.code, key=key, label=label)


def revoke_key(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, key_id: int, reason: str
) -> ApiKeyInfo:
    """Revoke a key at once, audited with who and why (X1). An active DCC party's last live key
    is refused (`LockOut`); revoking a revoked key changes and records nothing."""
    caller.require(PartyKind.DCC)
    problems = reason_problems(reason)
    if problems:
        raise ValidationFailed("a key revocation needs a reason", problems)
    with uow:
        uow.parties.lock_dcc_parties()
        info = uow.parties.get_key(key_id)
        if info is None:
            raise NotFound(f"API key {key_id} does not exist")
        if info.revoked_at is not None:
            return info
        party = _get(uow, info.party_code)
        check_key_revocation(party, key_id=key_id, live_keys=uow.parties.live_keys(party.id))
        now = clock.now()
        uow.parties.revoke_key(key_id, now)
        _audit(
            uow,
            clock,
            "api_key.revoked",
            party.code,
            actor=caller.code,
            reason=reason.strip(),
            before={"key_id": key_id, "prefix": info.prefix, "revoked_at": None},
            after={"key_id": key_id, "prefix": info.prefix, "revoked_at": now.isoformat()},
        )
        uow.commit()
        revoked = uow.parties.get_key(key_id)
    assert revoked is not None
    return revoked


def list_keys(uow: UnitOfWork, *, party_code: str) -> list[ApiKeyInfo]:
    with uow:
        return uow.parties.keys_of(_get(uow, party_code).id)


def authenticate(uow: UnitOfWork, *, key: str | None) -> Caller:
    """The party behind an API key; unknown and revoked keys are refused alike."""
    if not key or not key.startswith(KEY_PREFIX):
        raise Unauthenticated("missing or malformed API key (Authorization: Bearer chfw_...)")
    with uow:
        party = uow.parties.party_for_key_hash(hash_key(key))
    if party is None:
        raise Unauthenticated("unknown or revoked API key")
    return party.as_caller()


def _audit(
    uow: UnitOfWork,
    clock: Clock,
    action: str,
    code: str,
    *,
    after: dict[str, Any],
    actor: str = "dcc",
    reason: str = "",
    before: dict[str, Any] | None = None,
) -> None:
    record = AuditRecord(
        at=clock.now(),
        actor=actor,
        action=action,
        subject=f"party:{code}",
        reason=reason,
        before=before,
        after=after,
    )
    uow.audit.append([record])


def _get(uow: UnitOfWork, code: str) -> Party:
    party = uow.parties.get_by_code(code.strip().upper() if len(code) == 23 else code.strip())
    if party is None:
        raise NotFound(f"party {code} does not exist", party=code)
    return party


def get_party(uow: UnitOfWork, *, code: str) -> Party:
    with uow:
        return _get(uow, code)


def list_parties(uow: UnitOfWork, *, kind: PartyKind | None = None) -> list[Party]:
    with uow:
        return uow.parties.list_all(kind)


def set_status(
    uow: UnitOfWork, clock: Clock, *, caller: Caller, code: str, status: PartyStatus, reason: str
) -> Party:
    """Suspend or reactivate a party, audited with who and why (X1). Refused (`LockOut`): a
    party suspending itself, and suspending the last active DCC party with a live key."""
    caller.require(PartyKind.DCC)
    problems = reason_problems(reason)
    if problems:
        raise ValidationFailed("a status change needs a reason", problems)
    with uow:
        uow.parties.lock_dcc_parties()
        party = _get(uow, code)
        if party.status is status:
            return party
        check_status_change(
            party,
            status,
            actor=caller.code,
            other_dcc_with_keys=uow.parties.dcc_parties_with_live_keys(besides=party.id),
        )
        uow.parties.set_status(party.id, status)
        _audit(
            uow,
            clock,
            "party.suspended" if status is PartyStatus.SUSPENDED else "party.reactivated",
            party.code,
            actor=caller.code,
            reason=reason.strip(),
            before={"status": party.status.value},
            after={"status": status.value},
        )
        uow.commit()
        return _get(uow, party.code)


def _check_certificate(uow: UnitOfWork, pem: str | None, field: str) -> None:
    """A supplier's certificate must be one that can verify its requests: a PEM X.509
    certificate with an ECDSA P-256 key. Anything else would be stored and then refuse every
    request the supplier sends (E110016)."""
    if pem is None:
        return
    problem = (
        "expected a PEM block BEGIN CERTIFICATE"
        if "-----BEGIN CERTIFICATE-----" not in pem
        else uow.certificate_problem(pem)
    )
    if problem is not None:
        raise ValidationFailed("not a usable signing certificate", [Problem(problem, field=field)])


def set_signing_certificate(
    uow: UnitOfWork, clock: Clock, *, code: str, pem: str | None, actor: str = "dcc"
) -> Party:
    """Register or clear a supplier's signing certificate, audited with who did it (X1)."""
    _check_certificate(uow, pem, "certificate_pem")
    with uow:
        party = _get(uow, code)
        if party.kind is not PartyKind.SUPPLIER:
            raise ValidationFailed(
                "only suppliers sign Service Requests",
                problems=[Problem(f"{code} is a {party.kind}", field="code")],
            )
        uow.parties.set_certificate(party.id, pem)
        had = party.signing_certificate_pem is not None
        _audit(
            uow,
            clock,
            "party.certificate_set" if pem is not None else "party.certificate_cleared",
            party.code,
            actor=actor,
            before={"has_signing_certificate": had},
            after={"has_signing_certificate": pem is not None},
        )
        uow.commit()
        return _get(uow, code)


def load_parties(uow: UnitOfWork, clock: Clock, *, document: dict[str, Any]) -> list[Party]:
    """Register every party of a `parties.json` document that is not registered yet.

    Idempotent so `make run` can be repeated; returns only the parties it created.
    """
    created: list[Party] = []
    specs: list[tuple[PartyKind, str, str, list[str], list[str]]] = []
    dcc = document.get("dcc")
    if dcc:
        specs.append((PartyKind.DCC, dcc["user_id"], dcc.get("name", "DCC"), [], []))
    for s in document.get("suppliers", []):
        specs.append((PartyKind.SUPPLIER, s["user_id"], s["name"], s.get("roles", []), []))
    for c in document.get("csps", []):
        specs.append((PartyKind.CSP, c["csp_id"], c["name"], [], c.get("regions", [])))
    for kind, code, name, roles, regions in specs:
        with uow:
            exists = uow.parties.get_by_code(code.upper() if kind is not PartyKind.CSP else code)
        if exists is not None:
            continue
        created.append(
            register_party(
                uow,
                clock,
                kind=kind,
                code=code,
                name=name,
                roles=[SupplierRole(r) for r in roles],
                regions=[CspRegion(r) for r in regions],
            )
        )
    return created
