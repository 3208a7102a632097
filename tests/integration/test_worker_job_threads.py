"""Each periodic job of `chfw worker` runs on a thread of its own, every run on the same one,
and a long run gives the freed heap back (issue #12: the worker's resident size grew chunk
after chunk of a 10,000,000-hub instruction while each run landed on another pool thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from unittest import mock

import pytest

from chfw_api.bootstrap import Container, build
from chfw_api.config import Settings
from chfw_api.delivery import heap, runner
from chfw_api.delivery.runner import PeriodicJob, run, serve_worker
from tests.conftest import wipe


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    c = build(Settings(database_url=database_url))
    wipe(c.engine)
    yield c
    c.dispose()


def test_each_job_keeps_its_own_thread_and_a_long_run_trims_the_heap(
    container: Container,
) -> None:
    seen: dict[str, set[str]] = {"short": set(), "long": set()}

    def job(name: str, seconds: float) -> PeriodicJob:
        def work(c: Container) -> None:
            seen[name].add(threading.current_thread().name)
            time.sleep(seconds)

        return PeriodicJob(name, 0.05, work)

    jobs = [job("short", 0.0), job("long", heap.TRIM_AFTER_SECONDS + 0.05)]
    with mock.patch.object(runner, "release_free_heap", wraps=heap.release_free_heap) as trims:
        run(serve_worker(container, jobs=jobs, max_seconds=1.5, handle_signals=False))

    assert len(seen["short"]) == 1 and len(seen["long"]) == 1
    assert seen["short"] != seen["long"]
    assert next(iter(seen["long"])).startswith("job-long")
    # Only the long job's runs trimmed: an idle poll does not pay for it.
    assert 2 <= trims.call_count <= 1.5 / heap.TRIM_AFTER_SECONDS + 1


def test_the_allocator_is_tuned_where_glibc_runs() -> None:
    # This machine and the image (python:3.11-slim, Debian) run glibc: both calls must reach it.
    assert heap.hold_mmap_threshold() is True
    assert heap.release_free_heap() is True
