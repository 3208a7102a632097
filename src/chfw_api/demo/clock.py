"""The demo's shared accelerated clock: `chfw_api.clock_file.OffsetFileClock` (kept there so
that bootstrap, which wires it from `CHFW_CLOCK_FILE`, does not import the demo)."""

from chfw_api.clock_file import OffsetFileClock

__all__ = ["OffsetFileClock"]
