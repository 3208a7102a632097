"""What the demo records as it plays: stages (real and simulated time), events, progress bars."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from chfw_api.domain.clock import Clock


@dataclass
class StageRecord:
    name: str
    started: float  # real seconds since the demo started
    ended: float
    sim_start: datetime
    sim_end: datetime
    units: int = 0


@dataclass(frozen=True)
class Event:
    at: datetime  # simulated time
    actor: str
    text: str
    label: str = ""  # a milestone's short label on the report's charts


@dataclass
class Bar:
    progress: Progress
    task: TaskID

    def advance(self, n: int = 1) -> None:
        self.progress.advance(self.task, n)

    def update(self, completed: int, total: int | None = None) -> None:
        self.progress.update(self.task, completed=completed, total=total)


@dataclass
class Tracker:
    clock: Clock
    console: Console
    t0: float = field(default_factory=time.monotonic)
    stages: list[StageRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    quiet: bool = False
    _progress: Progress | None = None

    def __enter__(self) -> Tracker:
        self._progress = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(bar_width=32),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=self.console,
            disable=self.quiet,
        )
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def event(self, actor: str, text: str, label: str = "") -> None:
        e = Event(self.clock.now(), actor, text, label)
        self.events.append(e)
        if not self.quiet:
            self.console.print(f"[dim]{e.at:%d %b %H:%M}[/dim] [bold]{actor}[/bold]: {text}")

    def note(self, bar: Bar, text: str) -> None:
        bar.progress.update(bar.task, note=text)

    @contextmanager
    def stage(self, name: str, total: int = 1) -> Iterator[Bar]:
        assert self._progress is not None, "use the tracker as a context manager"
        task = self._progress.add_task(name, total=max(total, 1), note="")
        bar = Bar(self._progress, task)
        started, sim_start = self.elapsed(), self.clock.now()
        yield bar
        done = self._progress.tasks[task].completed
        self._progress.update(task, completed=max(total, 1, int(done)))
        self.stages.append(
            StageRecord(name, started, self.elapsed(), sim_start, self.clock.now(), int(done))
        )
