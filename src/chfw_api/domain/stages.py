"""Campaign stages and the one table of legal moves between them.

Kept apart from the aggregate so that adapters (the API's 409 answers, the dashboard, the
persistence layer) can read the table without the aggregate's rules.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Stage(enum.StrEnum):
    NOTIFIED = "Notified"
    PILOTING = "Piloting"
    PILOT_SUCCEEDED = "PilotSucceeded"
    PILOT_FAILED = "PilotFailed"
    SAFE_LAUNCHING = "SafeLaunching"
    COMPLETED = "Completed"
    CLOSED = "Closed"
    PAUSED = "Paused"
    SUSPENDED = "Suspended"
    STOPPED = "Stopped"
    REVOKED = "Revoked"
    SUPERSEDED = "Superseded"


class Command(enum.StrEnum):
    SCHEDULE_PILOT = "schedule_pilot"
    START_PILOT = "start_pilot"
    SUCCEED_PILOT = "succeed_pilot"
    FAIL_PILOT = "fail_pilot"
    START_SAFE_LAUNCH = "start_safe_launch"
    COMPLETE_SAFE_LAUNCH = "complete_safe_launch"
    CLOSE = "close"
    REVOKE = "revoke"
    SUPERSEDE = "supersede"
    MOVE_AUTOMATIC_DATE = "move_automatic_date"
    PROCEED = "proceed"
    PAUSE = "pause"
    DELAY_END = "delay_end"
    SUSPEND = "suspend"
    RESUME = "resume"
    STOP = "stop"


class DeploymentKind(enum.StrEnum):
    PILOT = "Pilot"
    SAFE_LAUNCH = "SafeLaunch"


class Outcome(enum.StrEnum):
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


HELD = frozenset({Stage.PAUSED, Stage.SUSPENDED})
ABANDONED = frozenset({Stage.STOPPED, Stage.REVOKED, Stage.SUPERSEDED})
TERMINAL = ABANDONED | {Stage.CLOSED}
BEFORE_SAFE_LAUNCH = frozenset(
    {Stage.NOTIFIED, Stage.PILOTING, Stage.PILOT_SUCCEEDED, Stage.PILOT_FAILED}
)
HAS_END_DATE = frozenset({Stage.NOTIFIED, Stage.PILOTING, Stage.SAFE_LAUNCHING})

_S, _C = Stage, Command
# Target None means "the stage remembered when the campaign was paused or suspended".
MOVES: dict[Stage, dict[Command, Stage | None]] = {
    _S.NOTIFIED: {
        _C.SCHEDULE_PILOT: _S.NOTIFIED, _C.START_PILOT: _S.PILOTING,
        _C.START_SAFE_LAUNCH: _S.SAFE_LAUNCHING, _C.MOVE_AUTOMATIC_DATE: _S.NOTIFIED,
        _C.PROCEED: _S.NOTIFIED, _C.DELAY_END: _S.NOTIFIED, _C.PAUSE: _S.PAUSED,
        _C.SUSPEND: _S.SUSPENDED, _C.STOP: _S.STOPPED, _C.REVOKE: _S.REVOKED,
        _C.SUPERSEDE: _S.SUPERSEDED,
    },
    _S.PILOTING: {
        _C.SUCCEED_PILOT: _S.PILOT_SUCCEEDED, _C.FAIL_PILOT: _S.PILOT_FAILED,
        _C.MOVE_AUTOMATIC_DATE: _S.PILOTING, _C.PROCEED: _S.PILOTING, _C.DELAY_END: _S.PILOTING,
        _C.PAUSE: _S.PAUSED, _C.SUSPEND: _S.SUSPENDED, _C.STOP: _S.STOPPED,
        _C.REVOKE: _S.REVOKED, _C.SUPERSEDE: _S.SUPERSEDED,
    },
    _S.PILOT_SUCCEEDED: {
        _C.START_SAFE_LAUNCH: _S.SAFE_LAUNCHING, _C.MOVE_AUTOMATIC_DATE: _S.PILOT_SUCCEEDED,
        _C.PROCEED: _S.PILOT_SUCCEEDED, _C.PAUSE: _S.PAUSED, _C.SUSPEND: _S.SUSPENDED,
        _C.STOP: _S.STOPPED, _C.REVOKE: _S.REVOKED, _C.SUPERSEDE: _S.SUPERSEDED,
    },
    _S.PILOT_FAILED: {_C.STOP: _S.STOPPED, _C.REVOKE: _S.REVOKED, _C.SUPERSEDE: _S.SUPERSEDED},
    _S.SAFE_LAUNCHING: {
        _C.COMPLETE_SAFE_LAUNCH: _S.COMPLETED, _C.MOVE_AUTOMATIC_DATE: _S.SAFE_LAUNCHING,
        _C.PROCEED: _S.SAFE_LAUNCHING, _C.DELAY_END: _S.SAFE_LAUNCHING, _C.PAUSE: _S.PAUSED,
        _C.SUSPEND: _S.SUSPENDED, _C.STOP: _S.STOPPED, _C.REVOKE: _S.REVOKED,
    },
    _S.COMPLETED: {_C.CLOSE: _S.CLOSED},
    _S.PAUSED: {
        _C.RESUME: None, _C.MOVE_AUTOMATIC_DATE: _S.PAUSED, _C.DELAY_END: _S.PAUSED,
        _C.SUSPEND: _S.SUSPENDED, _C.STOP: _S.STOPPED, _C.REVOKE: _S.REVOKED,
        _C.SUPERSEDE: _S.SUPERSEDED,
    },
    _S.SUSPENDED: {
        _C.RESUME: None, _C.MOVE_AUTOMATIC_DATE: _S.SUSPENDED, _C.DELAY_END: _S.SUSPENDED,
        _C.STOP: _S.STOPPED, _C.REVOKE: _S.REVOKED, _C.SUPERSEDE: _S.SUPERSEDED,
    },
    _S.CLOSED: {}, _S.STOPPED: {}, _S.REVOKED: {}, _S.SUPERSEDED: {},
}  # fmt: skip
TRANSITIONS: Mapping[tuple[Stage, Command], Stage | None] = {
    (stage, command): target for stage, row in MOVES.items() for command, target in row.items()
}
