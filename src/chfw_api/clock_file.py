"""A clock several processes share: real time plus an offset kept in a small file.

An adapter of `domain.clock.Clock` that bootstrap may wire; the demo drives it. (It lives
outside `demo/` so that bootstrap does not depend on the demo.)

The demo's API server, its delivery worker and its simulated CSPs all read time from
`container.clock`. With `CHFW_CLOCK_FILE=<path>` (`Settings.clock_file`) `bootstrap.build`
gives every process an `OffsetFileClock` on that file, and the demo moves all of them at once
by writing a larger offset (`advance_to`). Between jumps time runs at its real pace, so leases,
timeouts and polling intervals behave as usual. For demos and tests only: never set it in
production.

Reading costs one `stat` per `now()`; the file is re-read only when it was replaced (new inode
or mtime). Writes are atomic (temporary file, fsync, rename) so a reader never sees half a
number. The offset only grows: `now()` never goes back, in any process.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path


class OffsetFileClock:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def offset(self) -> timedelta:
        """The offset in force (zero while the file does not exist)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return timedelta(0)
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp != self._stamp:
            with self._lock:
                text = self.path.read_text().strip()
                self._offset = timedelta(seconds=float(text or 0))
                self._stamp = stamp
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def set_offset(self, offset: timedelta) -> None:
        """Write a new offset; refuses to move the clock back."""
        if offset < self.offset():
            raise ValueError("a shared clock only moves forward")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with tmp.open("w") as f:
            f.write(f"{offset.total_seconds():.6f}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def advance_to(self, when: datetime) -> datetime:
        """Jump to `when` (if it is ahead); returns the new now."""
        now = self.now()
        if when > now:
            self.set_offset(self.offset() + (when - now))
        return self.now()

    def advance(self, delta: timedelta) -> datetime:
        return self.advance_to(self.now() + delta)
