"""Email adapters (issue #14): address validation, SMTP sending, DKIM signing."""
