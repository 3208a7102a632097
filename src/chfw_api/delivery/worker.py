"""The delivery worker: claims due deliveries, POSTs them, records what happened.

Any number of workers (processes) share the queue through the database: claims lease rows
(`due_at` pushed to the end of the lease), so two workers never hold the same row, and a
crashed worker's rows fall due again when its lease runs out (at-least-once, X4; duplicates
carry the same `webhook-id`).

Inside one worker, three things overlap on one event loop:
- the claimer keeps a local backlog topped up (database calls run in a thread);
- each endpoint gets its own *lane*: up to `endpoint_concurrency` requests in flight, never
  more, so a slow endpoint only ever occupies its own lane; a global cap bounds the total;
- the flusher writes outcomes in batches (one transaction per batch, not per request).
Single-alert requests are signed as their claim arrives (`presigned.py`).

When an endpoint fails in a way that is about the endpoint (no connection, timeout, 5xx, 429,
3xx), the alerts queued behind the failed one in its lane get the same outcome at once instead
of each waiting for its own timeout. Endpoints whose lane is full are left out of the next
claims, so their backlog cannot crowd out everyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from chfw_api.delivery import presigned, signing
from chfw_api.delivery.batching import batch_body, batch_id
from chfw_api.delivery.config import WorkerConfig, WorkerReport
from chfw_api.delivery.http import HttpSender
from chfw_api.delivery.presigned import BodySigner
from chfw_api.delivery.urls import parse_networks
from chfw_api.domain.retry import HttpResult, Judgement, Verdict, judge
from chfw_api.domain.subscriptions import DueDelivery, EndpointTarget, Outcome, OutcomeKind
from chfw_api.observability import tracing
from chfw_api.observability.metrics import DELIVERY_OUTCOMES
from chfw_api.services import delivery as svc

if TYPE_CHECKING:
    from chfw_api.bootstrap import Container

log = logging.getLogger("chfw.delivery")
FLUSH_SECONDS = 0.05
FLUSH_SIZE = 2000
_Queued = tuple[DueDelivery, float, "presigned.Signed | None"]  # with its deadline (monotonic)


@dataclass
class _Lane:
    target: EndpointTarget
    keys: tuple[bytes, ...]
    queue: deque[_Queued] = field(default_factory=deque)
    running: int = 0  # lane tasks
    held: int = 0  # queued + in flight
    waiting: bool = False  # in the worker's queue for a free slot


def worker_token() -> str:
    """Names this worker's leases: host, process and a random suffix (fits 40 chars)."""
    return f"{socket.gethostname()[:16]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryWorker:
    def __init__(
        self,
        container: Container,
        *,
        config: WorkerConfig | None = None,
        sign_body: BodySigner | None = None,
        rng: random.Random | None = None,
        token: str | None = None,
    ) -> None:
        self._c = container
        self.config = config or WorkerConfig.from_settings(container.settings)
        if self.config.lease_seconds <= self.config.timeout:
            raise ValueError("the lease must outlast the request timeout")
        self._sign_body = sign_body
        self._rng = rng or random.Random()
        self.token = token or worker_token()
        self.report = WorkerReport()
        self._lanes: dict[int, _Lane] = {}
        self._held = 0
        self._claim_rows = self.config.claim_size
        self._outcomes: list[Outcome] = []
        self._gone: set[int] = set()
        self._running = 0  # lane tasks, all endpoints: one request in flight each, at most
        self._waiting: deque[_Lane] = deque()  # lanes wanting a task while all slots are taken
        self._room = asyncio.Event()
        self._stopping = False
        self._http: HttpSender | None = None

    # ------------------------------------------------------------------ main loop

    async def run(self, *, stop: asyncio.Event | None = None, once: bool = False) -> WorkerReport:
        """Deliver until `stop` is set; with `once`, until nothing is due and nothing is held."""
        cfg = self.config
        stop = stop or asyncio.Event()
        async with HttpSender(
            timeout=cfg.timeout,
            connect_timeout=cfg.connect_timeout,
            allowed=parse_networks(cfg.allowed_networks),
            max_connections=cfg.concurrency,
        ) as http:
            self._http = http
            halt = asyncio.Event()
            flusher = asyncio.create_task(self._flush_loop(halt))
            try:
                await self._claim_loop(stop, once)
            finally:
                self._stopping = True
                await self._wait_for_lanes()
                halt.set()
                await flusher
                await self._flush()
        return self.report

    def _rescale(self) -> None:
        """Rows per claim: `claim_size`, scaled up (to 10x) for endpoints that batch, so a claim
        still holds many requests' worth when each request carries many alerts."""
        widest = max((lane.target.batch_size for lane in self._lanes.values()), default=1)
        self._claim_rows = self.config.claim_size * min(widest, 10)

    async def _claim_loop(self, stop: asyncio.Event, once: bool) -> None:
        cfg = self.config
        while not stop.is_set():
            got = 0
            if self._held < self._claim_rows:
                try:
                    got = await self._claim()
                except Exception:
                    log.exception("claiming deliveries failed; retrying")
            if got:
                await asyncio.sleep(0)
                continue
            if once and self._held == 0:
                await self._flush()
                if not await self._claim():
                    return
                continue
            self._room.clear()
            wait = cfg.poll_seconds if self._held < self._claim_rows else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), wait)

    async def _claim(self) -> int:
        cfg = self.config
        busy = [
            i
            for i, lane in self._lanes.items()
            if lane.held >= cfg.endpoint_claim_requests * lane.target.batch_size
        ]
        claim = await asyncio.to_thread(
            svc.claim_due,
            self._c.uow(),
            now=self._c.clock.now(),
            lease_seconds=cfg.lease_seconds,
            token=self.token,
            limit=self._claim_rows,
            per_endpoint=cfg.endpoint_claim_requests,
            exclude=busy,
        )
        if claim.deliveries:
            self.report.claims += 1
            self._dispatch(claim)
        return len(claim.deliveries)

    def _dispatch(self, claim: svc.Claim) -> None:
        cfg = self.config
        # Start no request that could outlive the lease (plus a little for the flush); such
        # rows are released instead, due again at once, for this or another worker.
        margin = cfg.timeout + min(1.0, cfg.lease_seconds / 10)
        deadline = time.monotonic() + cfg.lease_seconds - margin
        timestamp, sign = self._timestamp(), self._sign_body
        for d in claim.deliveries:
            lane = self._lane(claim.targets.get(d.endpoint_id), d.endpoint_id)
            signed = presigned.presign(d, lane.keys, lane.target.batch_size, timestamp, sign)
            lane.queue.append((d, deadline, signed))
            lane.held += 1
            self._held += 1
        for lane in self._lanes.values():
            self._grow(lane)

    def _grow(self, lane: _Lane) -> None:
        """Give `lane` the tasks its queue can use, up to its endpoint's cap, while the worker's
        cap allows; otherwise it waits its turn (round robin across endpoints)."""
        want = min(self.config.endpoint_concurrency, -(-len(lane.queue) // lane.target.batch_size))
        while lane.running < want:
            if self._running >= self.config.concurrency:
                if not lane.waiting:
                    lane.waiting = True
                    self._waiting.append(lane)
                return
            lane.running += 1
            self._running += 1
            asyncio.get_running_loop().create_task(self._drive(lane))

    def _next_waiting(self) -> None:
        while self._waiting and self._running < self.config.concurrency:
            lane = self._waiting.popleft()
            lane.waiting = False
            self._grow(lane)

    def _lane(self, target: EndpointTarget | None, endpoint_id: int) -> _Lane:
        lane = self._lanes.get(endpoint_id)
        if target is None:  # deleted between claim and now: its rows went with it
            target = EndpointTarget(endpoint_id, "http://0.0.0.0/", (), 1)
        if lane is None or lane.target != target:
            keys = tuple(signing.secret_key(s) for s in target.secrets)
            if lane is None:
                lane = _Lane(target, keys)
                self._lanes[endpoint_id] = lane
            else:
                lane.target, lane.keys = target, keys
            self._rescale()
        return lane

    # ------------------------------------------------------------------ sending

    async def _drive(self, lane: _Lane) -> None:
        queue = lane.queue
        try:
            while queue:
                size = lane.target.batch_size
                signed = None
                if size == 1:  # the common case, kept lean: this loop runs once per request
                    item, deadline, signed = queue.popleft()
                    items = [item]
                else:
                    chunk = [queue.popleft() for _ in range(min(size, len(queue)))]
                    items = [q[0] for q in chunk]
                    deadline = chunk[0][1]  # oldest claim first: the earliest deadline
                if self._stopping or time.monotonic() > deadline:
                    self._release(items, lane)
                    continue
                try:
                    result = await self._send(lane, items, signed)
                except Exception as exc:  # a bug or a failing signer: retry, never lose
                    log.exception("sending to endpoint %s failed", lane.target.id)
                    result = HttpResult(None, f"internal error: {exc}")
                status = result.status
                if status is not None and 200 <= status < 300:
                    self._acknowledged(lane, items, status)
                else:
                    judgement = judge(result, self._c.clock.now())
                    self._settle(lane, items, judgement, status)
                    if judgement.endpoint_wide or judgement.verdict is Verdict.GONE:
                        self._fail_queue(lane, judgement, status)
                if self._waiting:  # other endpoints wait for a slot: hand this one over
                    break
        finally:
            lane.running -= 1
            self._running -= 1
            self._next_waiting()  # those who waited first
            if lane.queue and not self._stopping:
                self._grow(lane)  # then this lane: straight on, or back of the line

    def _timestamp(self) -> int:
        return int(self._c.clock.now().timestamp())

    async def _send(
        self, lane: _Lane, items: list[DueDelivery], signed: presigned.Signed | None = None
    ) -> HttpResult:
        assert self._http is not None
        if not lane.keys:
            return HttpResult(None, "the endpoint was deleted")
        self.report.requests += 1
        if len(items) == 1 and lane.target.batch_size == 1:
            now = self._timestamp()
            if signed is None or not signed.usable(lane.keys, now):
                signed = presigned.sign(items[0], lane.keys, now, self._sign_body)
            body, headers, msg_id = signed.body, signed.headers, items[0].alert_id
        else:
            sign = self._sign_body
            docs = [d.body.encode() for d in items]
            body = batch_body([sign(b) for b in docs] if sign is not None else docs)
            msg_id = batch_id([d.alert_id for d in items])
            headers = signing.headers(lane.keys, msg_id, self._timestamp(), body)
        if not tracing.enabled():  # the lean path: pass the stored context on, if any
            stored = items[0].traceparent if len(items) == 1 else None
            if stored is not None:
                headers["traceparent"] = stored
            return await self._http.post(lane.target.url, body, headers)
        url = lane.target.url
        with tracing.delivery(url, msg_id, [d.traceparent for d in items]) as traceparent:
            if traceparent is not None:
                headers["traceparent"] = traceparent
            result = await self._http.post(url, body, headers)
            tracing.record_status(result.status, result.error)
        return result

    def _acknowledged(self, lane: _Lane, items: list[DueDelivery], status: int) -> None:
        append = self._outcomes.append
        for d in items:
            append(Outcome(d.delivery_id, OutcomeKind.DELIVERED, status))
        self.report.delivered += len(items)
        self._done(lane, len(items))

    def _settle(
        self, lane: _Lane, items: list[DueDelivery], judgement: Judgement, status: int | None
    ) -> None:
        now = self._c.clock.now()
        policy = self.config.policy
        for d in items:
            outcome = policy.outcome(d.delivery_id, d.attempts, judgement, status, now, self._rng)
            self._count(outcome)
            self._outcomes.append(outcome)
        if judgement.verdict is Verdict.GONE:
            self._gone.add(lane.target.id)
        self._done(lane, len(items))

    def _fail_queue(self, lane: _Lane, judgement: Judgement, status: int | None) -> None:
        """The endpoint just failed: the alerts queued behind get the same outcome now."""
        if not lane.queue:
            return
        log.warning(
            "endpoint %s failing (%s): %d queued alerts rescheduled",
            lane.target.id,
            judgement.error,
            len(lane.queue),
        )
        note = replace(
            judgement, error=f"not sent, the endpoint had just failed: {judgement.error}"
        )
        items = [q[0] for q in lane.queue]
        lane.queue.clear()
        self._settle(lane, items, note, status)

    def _release(self, items: list[DueDelivery], lane: _Lane) -> None:
        for d in items:
            self._outcomes.append(Outcome(d.delivery_id, OutcomeKind.RELEASED))
        self.report.released += len(items)
        self._done(lane, len(items))

    def _done(self, lane: _Lane, n: int) -> None:
        lane.held -= n
        self._held -= n
        if self._held < self._claim_rows:  # wake the claimer only when it has room
            self._room.set()

    def _count(self, outcome: Outcome) -> None:
        r = self.report
        if outcome.kind is OutcomeKind.DELIVERED:
            r.delivered += 1
        elif outcome.kind is OutcomeKind.RETRY:
            r.retried += 1
        elif outcome.kind is OutcomeKind.DEAD:
            r.dead += 1

    async def _wait_for_lanes(self) -> None:
        """Stopping: release what is queued at once, then let requests in flight finish."""
        for lane in self._lanes.values():
            if lane.queue:
                items = [q[0] for q in lane.queue]
                lane.queue.clear()
                self._release(items, lane)
        self._waiting.clear()
        while self._running:
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ recording

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if len(self._outcomes) < FLUSH_SIZE:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), FLUSH_SECONDS)
            await self._flush()

    async def _flush(self) -> None:
        if not self._outcomes and not self._gone:
            return
        outcomes, self._outcomes = self._outcomes, []
        gone, self._gone = sorted(self._gone), set()
        try:
            await asyncio.to_thread(
                svc.record_outcomes,
                self._c.uow(),
                outcomes=outcomes,
                gone=gone,
                now=self._c.clock.now(),
                token=self.token,
            )
        except Exception:
            # Keep them and try again; if this worker dies first, the leases run out and the
            # rows are sent again (at least once).
            log.exception("recording %d delivery outcomes failed; will retry", len(outcomes))
            self._outcomes[:0] = outcomes
            self._gone.update(gone)
            await asyncio.sleep(0.5)
        else:  # counted once stored, a flush at a time rather than a locked increment each
            for kind, n in Counter(o.kind for o in outcomes).items():
                DELIVERY_OUTCOMES.labels(outcome=kind.value).inc(n)
