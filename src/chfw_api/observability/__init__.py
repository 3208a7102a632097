"""Traces, metrics and log context (issue #15): the only importer of opentelemetry and
prometheus_client. Off by default and free when off; see docs/operations.md."""
