"""Which of the demo's invariants failed.

The checks hold figures as well as yes/no answers (a count of dead letters, "k of n" split hubs
held back), so "failed" cannot mean only "is False": a dead letter or a bad signature is a
failure however it is recorded. Each figure that is an invariant says here what it must be;
figures not named are context for the reader (batch sizes, the audit chain's length).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Verdict = Callable[[object], bool]


def _zero(value: object) -> bool:
    return value == 0


def _none_of(value: object) -> bool:
    """`(n, k)`: k of n split hubs reached a CSP before their second supplier instructed."""
    return isinstance(value, tuple) and len(value) == 2 and value[1] == 0


def _all_of(value: object) -> bool:
    """`(n, k)`: k of n reached a CSP once both suppliers had instructed."""
    return isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]


MUST: dict[str, Verdict] = {
    "bad_signatures": _zero,
    "dead_letters": _zero,
    "split_waiting_held_back": _none_of,
    "split_waiting_released": _all_of,
    "small_batch_refused": lambda value: value == "E110703",
    "emails_received_equals_outbox": _all_of,  # (queued, received): every email arrived
}


def failed(checks: Mapping[str, object]) -> list[str]:
    """The names of the checks that do not hold: a yes/no answer that is not yes, or a figure
    that is not what its invariant demands."""
    out = []
    for name, value in checks.items():
        verdict = MUST.get(name)
        if not (verdict(value) if verdict else value is not False):
            out.append(name)
    return out
