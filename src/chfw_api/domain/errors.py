"""Domain errors. Adapters translate them (problem+json in `api/`, DUIS codes in `duis/`).

Each error carries a stable machine-readable `code` and a human `detail`; none knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""

    code = "domain-error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not-found"


class Forbidden(DomainError):
    """The caller is known but its party may not do this (X2)."""

    code = "forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Conflict(DomainError):
    code = "conflict"


class InvalidIdentifier(DomainError):
    code = "invalid-identifier"


class IllegalTransition(Conflict):
    """A campaign command that its current stage does not allow; names the moves that are."""

    code = "illegal-transition"

    def __init__(self, *, current: str, attempted: str, allowed: Sequence[str]) -> None:
        allowed_list = sorted(allowed)
        super().__init__(
            f"cannot {attempted} a campaign in stage {current}; allowed: "
            + (", ".join(allowed_list) if allowed_list else "none"),
            current_stage=current,
            attempted=attempted,
            allowed=allowed_list,
        )
        self.current = current
        self.attempted = attempted
        self.allowed = allowed_list


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one item of input: where it is, which field, and why."""

    reason: str
    location: str | None = None
    field: str | None = None
    code: str | None = None


@dataclass
class ValidationFailed(DomainError):
    """Input with one or more bad items; nothing was changed (X5)."""

    detail: str
    problems: list[Problem] = field(default_factory=list)
    total: int | None = None
    code = "validation-failed"

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if self.total is None:
            self.total = len(self.problems)
