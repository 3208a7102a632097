"""What each log line says about the request it belongs to.

The request middleware opens a context (a small dict, one per request); whatever learns a fact
on the way (the caller's party once authenticated, the DUIS RequestID and campaign of a Service
Request) notes it there, and every line logged while the request runs, and its access line,
carry it with the trace id. A dict rather than one ContextVar per fact, because sync endpoints
and dependencies run in the thread pool on a copy of the context: a new value set there would
not be seen by the middleware, a mutation of the shared dict is.

Only identifiers go in (request ids, party codes, campaign ids, trace ids): never a key, a
secret, a signature or a body; `note` drops any field it does not know.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from chfw_api.observability.tracing import current_trace_id

FIELDS = ("party", "duis_request_id", "sr", "campaign")
_context: ContextVar[dict[str, str] | None] = ContextVar("chfw_log_context", default=None)


def open_context() -> Token[dict[str, str] | None]:
    return _context.set({})


def close_context(token: Token[dict[str, str] | None]) -> None:
    _context.reset(token)


def note(**facts: str | None) -> None:
    """Record facts about the current request (unknown names and empty values are ignored)."""
    context = _context.get()
    if context is None:
        return
    for name, value in facts.items():
        if name in FIELDS and value:
            context[name] = value[:100]


def facts() -> dict[str, str]:
    """The current request's facts and trace id, for one log line."""
    found = dict(_context.get() or {})
    trace_id = current_trace_id()
    if trace_id is not None:
        found["trace_id"] = trace_id
    return found
