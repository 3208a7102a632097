"""`chfw worker`: the delivery loop plus any periodic jobs, in one process, until told to stop.

A periodic job is `PeriodicJob(name, interval_seconds, run)` where `run(container)` is a plain
synchronous function (one use case, its own unit of work); it runs in a thread of its own so
the delivery loop never waits for it. Its failures are logged and it runs again at the next
interval. One thread per job, not the shared pool: glibc gives each thread that allocates an
arena of its own, so a job whose runs landed on a different pool thread each time left a
chunk-sized free heap in each of them (see `heap.py`; measured with 50,000-hub instruction
chunks at 1,000,000 hubs, bench/worker_heap.py: 115 -> 170 MB over ten chunks on a pool of six
threads, 115 -> 135 MB on one thread). A long run is followed by `heap.release_free_heap`,
and large buffers are mapped on their own (`heap.hold_mmap_threshold`).

`once` runs every job once, then delivers everything due, then returns (tests, cron);
`max_seconds` stops the process after that long; SIGTERM/SIGINT stop it gracefully (claimed but
unsent alerts are released at once, not left to their lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import gc
import logging
import signal
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from chfw_api.delivery.config import WorkerConfig, WorkerReport
from chfw_api.delivery.heap import TRIM_AFTER_SECONDS, hold_mmap_threshold, release_free_heap
from chfw_api.delivery.presigned import BodySigner
from chfw_api.delivery.worker import DeliveryWorker

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container

log = logging.getLogger("chfw.worker")
T = TypeVar("T")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: float
    run: Callable[[Container], object]


async def _run_job(container: Container, job: PeriodicJob, thread: Executor) -> None:
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()  # as asyncio.to_thread does (tracing, logging)
    start = time.monotonic()
    try:
        await loop.run_in_executor(thread, functools.partial(context.run, job.run, container))
    except Exception:
        log.exception("periodic job %s failed", job.name)
    if time.monotonic() - start >= TRIM_AFTER_SECONDS:
        await loop.run_in_executor(thread, release_free_heap)


async def _periodic(
    container: Container, job: PeriodicJob, stop: asyncio.Event, thread: Executor
) -> None:
    while not stop.is_set():
        await _run_job(container, job, thread)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), job.interval_seconds)


def _job_threads(jobs: Sequence[PeriodicJob]) -> dict[str, ThreadPoolExecutor]:
    return {
        job.name: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"job-{job.name}")
        for job in jobs
    }


async def serve_worker(
    container: Container,
    *,
    jobs: Sequence[PeriodicJob] = (),
    once: bool = False,
    max_seconds: float | None = None,
    sign_body: BodySigner | None = None,
    config: WorkerConfig | None = None,
    handle_signals: bool = True,
    freeze_gc: bool = False,
) -> WorkerReport:
    if freeze_gc:
        # Everything alive now (modules, metadata) lives as long as the process: moved out of
        # the collector's sight, the collections triggered by the worker's churn of small
        # objects no longer walk it. For a dedicated process only (frozen objects stay).
        gc.collect()
        gc.freeze()
    hold_mmap_threshold()  # large buffers freed go back to the OS (heap.py)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    if max_seconds is not None:
        loop.call_later(max_seconds, stop.set)
    worker = DeliveryWorker(container, config=config, sign_body=sign_body)
    threads = _job_threads(jobs)
    try:
        if once:
            for job in jobs:
                await _run_job(container, job, threads[job.name])
            return await worker.run(stop=stop, once=True)
        tasks = [
            asyncio.create_task(_periodic(container, job, stop, threads[job.name])) for job in jobs
        ]
        try:
            return await worker.run(stop=stop)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        for thread in threads.values():
            thread.shutdown(wait=False)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (it ships with uvicorn[standard]): about 1.5x the
    requests per second of the default loop on the bench."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(main)
    return uvloop.run(main)
