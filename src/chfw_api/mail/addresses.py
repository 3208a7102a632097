"""Email addresses as `email-validator` reads them: syntax and domain, no DNS lookups (a
contact may be registered before its domain's MX records exist; delivery reports the rest)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from chfw_api.domain.errors import Problem, ValidationFailed


def normalised_address(address: str) -> str:
    """The address as it will be used; a 422 naming it and why when it cannot be one."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = f"{address!r} is not a usable email address: {exc}"
        raise ValidationFailed(reason, [Problem(reason=reason, field="address")]) from exc
    return str(result.normalized)
