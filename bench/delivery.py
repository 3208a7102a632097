"""Alert delivery: per-hub alerts through the outbox to a loopback receiver, against a raw
HTTP client floor measured in the same run against the same receiver.

For each backend, in a fresh migrated database, with one supplier and one webhook endpoint:
  outbox   `uow.outbox.add` of the alerts (rendered XML, fan-out to deliveries), 50,000 a call
  floor    aiohttp on uvloop, nothing else: the same request as chfw's (the alert body and
           the same headers: content type, User-Agent and the three Standard Webhooks
           headers, with values of the same length, made once) POSTed with the same
           concurrency, keep-alive and session settings (no cookie jar, no decompression,
           the same timeouts), no database, no signing (what the client alone can do),
           measured just before and just after each worker run; the mean is the floor
  single   `chfw worker --once` in-process: claim, sign (Standard Webhooks), POST one alert per
           request, record outcomes; bar >= 0.7 of the floor's requests/s
  batched  the same with the endpoint's batch size set (sr:AlertBatch of N alerts); bar >=
           20,000 alerts/s
The receiver (`python -m chfw_api.delivery.receiver`) runs in its own process and counts the
alerts it got; the bench checks that every alert arrived. Timings are wall clock; the worker's
CPU per alert is printed too. Numbers move with whatever else the machine is doing: the ratio
to the floor, measured just before, is the figure to read. Each line ends with the process's
peak RSS so far (the worker runs in it).

    .venv/bin/python bench/delivery.py --alerts 200000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
CHUNK = 50_000


def _receiver() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "chfw_api.delivery.receiver"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def _peak_rss_mb() -> float:
    """This process's peak resident size so far (the worker runs in it), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as r:
        return json.loads(r.headers["X-Stats"])  # type: ignore[no-any-return]


def floor(port: int, body: bytes, requests: int, concurrency: int) -> tuple[float, float]:
    """Requests/s of a bare aiohttp client (the most this process could send), CPU us/req."""
    import aiohttp

    from chfw_api.delivery import signing
    from chfw_api.delivery.http import USER_AGENT
    from chfw_api.delivery.runner import run

    async def go() -> tuple[float, float]:
        url = f"http://127.0.0.1:{port}/floor"
        # The same bytes on the wire as chfw's request, signed once: a receiver gets the
        # same headers to parse, and sending fewer would flatter the client (2 headers
        # against chfw's 5 cost it 5% fewer instructions a request).
        key = b"k" * 32
        headers = {
            **signing.headers([key], str(uuid.uuid4()), int(time.time()), body),
            "User-Agent": USER_AGENT,
        }
        left = iter(range(requests))
        # chfw's session settings (delivery/http.py): no cookie jar, no decompression, its
        # timeouts; the default jar alone costs the client about 6% more per request.
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=10.0, connect=5.0),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as session:

            async def lane() -> None:
                for _ in left:
                    async with session.post(
                        url, data=body, headers=headers, allow_redirects=False
                    ) as response:
                        await response.read()
                        assert response.status == 200

            start, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(lane() for _ in range(concurrency)))
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            return requests / seconds, cpu / requests * 1e6

    return run(go())


def _database(backend: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / (uuid.uuid4().hex + '.db')}", lambda: None
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"chfw_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN).set(database=name).render_as_string(False), drop


def _fill_outbox(container: object, party: object, n: int, first_guid: int) -> float:
    from chfw_api.domain.alerts import HubActivated, PendingAlert
    from chfw_api.domain.identifiers import guid_from_int

    start = time.perf_counter()
    for offset in range(0, n, CHUNK):
        alerts = [
            PendingAlert(party.id, party.code, HubActivated(guid_from_int(i), "0100A2F3"))  # type: ignore[attr-defined]
            for i in range(first_guid + offset, first_guid + min(n, offset + CHUNK))
        ]
        with container.uow() as uow:  # type: ignore[attr-defined]
            uow.outbox.add(alerts, now=datetime.now(UTC))
            uow.commit()
    return n / (time.perf_counter() - start)


def run_backend(backend: str, args: argparse.Namespace, port: int, workdir: Path) -> list[str]:
    from chfw_api.bootstrap import build
    from chfw_api.config import Settings
    from chfw_api.delivery.config import WorkerConfig
    from chfw_api.delivery.runner import run, serve_worker
    from chfw_api.delivery.urls import UrlPolicy
    from chfw_api.domain.parties import PartyKind, SupplierRole
    from chfw_api.domain.subscriptions import known_codes
    from chfw_api.persistence.migrations import upgrade
    from chfw_api.services import parties, subscriptions

    url, drop = _database(backend, workdir)
    lines = []
    try:
        settings = Settings(
            database_url=url,
            validate_alerts=False,
            webhook_allowed_networks=["127.0.0.0/8"],
            delivery_endpoint_concurrency=args.concurrency,
            delivery_concurrency=args.concurrency,
        )
        c = build(settings)
        upgrade(c.engine)
        supplier = parties.register_party(
            c.uow(), c.clock, kind=PartyKind.SUPPLIER, code=SUPPLIER, name="Bench Energy",
            roles=[SupplierRole.IMPORT],
        )  # fmt: skip
        policy = UrlPolicy.of(settings.webhook_allowed_networks)
        codes = known_codes(settings.activation_alert_code)
        endpoint = subscriptions.register_endpoint(
            c.uow(), c.clock, caller=supplier.as_caller(), policy=policy, known_codes=codes,
            new=subscriptions.NewEndpoint(url=f"http://127.0.0.1:{port}/hook", codes=("*",)),
        ).endpoint  # fmt: skip
        with c.uow(read_only=True) as uow:
            sample = uow.outbox.bodies(limit=1)
        for mode, batch in (("single", 1), ("batched", args.batch_size)):
            if mode not in args.modes:
                continue
            subscriptions.update_endpoint(
                c.uow(), c.clock, caller=supplier.as_caller(), endpoint_id=endpoint.id,
                change=subscriptions.EndpointChange(batch_size=batch), policy=policy,
                known_codes=codes,
            )  # fmt: skip
            insert_rate = _fill_outbox(c, supplier, args.alerts, first_guid=batch * 10**7)
            with c.uow(read_only=True) as uow:
                sample = uow.outbox.bodies(limit=1)
            body = sample[0][1].encode()
            before = floor(port, body, args.floor_requests, args.concurrency)
            received = _stats(port)
            config = WorkerConfig.from_settings(settings)
            start, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
            report = run(
                serve_worker(c, once=True, config=config, handle_signals=False, freeze_gc=True)
            )
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            main = time.thread_time() - main  # the event loop's thread: HTTP, lanes, signing
            got = _stats(port).get("alerts", 0) - received.get("alerts", 0)
            after = floor(port, body, args.floor_requests, args.concurrency)
            if report.delivered != args.alerts or got < args.alerts:
                raise SystemExit(f"{backend} {mode}: {report} but the receiver got {got}")
            floor_rps = (before[0] + after[0]) / 2  # measured just before and just after
            floor_cpu = (before[1] + after[1]) / 2
            rate = args.alerts / seconds
            if mode == "single":
                verdict = f"ratio {rate / floor_rps:.2f} (bar >= 0.7)"
            else:
                verdict = f"{'meets' if rate >= 20_000 else 'MISSES'} bar >= 20,000 alerts/s"
            lines.append(
                f"{backend:10s} {mode:7s} batch {batch:3d} | outbox {insert_rate:8,.0f} alerts/s"
                f" | floor {floor_rps:7,.0f} req/s ({before[0]:,.0f}/{after[0]:,.0f},"
                f" {floor_cpu:.0f} us CPU/req)"
                f" | chfw {rate:8,.0f} alerts/s"
                f" ({report.requests:,} requests, {cpu / args.alerts * 1e6:.0f} us CPU/alert,"
                f" {main / args.alerts * 1e6:.0f} us on the event loop's thread)"
                f" | {verdict} | peak RSS {_peak_rss_mb():.0f} MB"
            )
            print(lines[-1], flush=True)
        c.dispose()
    finally:
        drop()
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description="alert delivery throughput against a floor")
    ap.add_argument("--alerts", type=int, default=200_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--modes", default="single,batched")
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--floor-requests", type=int, default=50_000)
    args = ap.parse_args()
    proc, port = _receiver()
    try:
        with tempfile.TemporaryDirectory(prefix="chfw-bench-") as tmp:
            print(f"{args.alerts:,} per-hub alerts per mode, concurrency {args.concurrency}")
            for backend in args.backends.split(","):
                run_backend(backend, args, port, Path(tmp))
    finally:
        proc.kill()
        proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
