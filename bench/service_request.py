"""A 50,000-GUID SR 11.7 instruction over HTTP, against a floor measured in the same run.

For each backend: a fresh database with the estate (default 1,000,000 hubs) and a campaign over
every model; a real `chfw serve` on loopback. Each run instructs a fresh slice of 50,000 of the
largest supplier's hubs (so every run does the same work), HTTP request in to XML response out.
  floor  lxml parse + XSD validation of the same body, then through the driver: the 50,000
         GUIDs staged, one ownership join against the inventory and the campaign, one bulk
         insert of 50,000 vote rows (COPY on PostgreSQL, executemany on SQLite, as chfw does)
         and one set-based update of the same hubs' plans (the rows an instruction writes),
         committed; then put back, untimed. The part up to the votes (this floor before plans
         and commit were added) is printed too, for comparison.
         Why this is the minimum: any correct 11.7 must read the body, check it against the
         schema, learn which named hubs the supplier serves in the campaign, and write one
         vote per hub and its plan in one commit. It opens its connection with chfw's own
         engine factory (persistence/database.py), so both sides run with the same SQLite page
         cache, WAL and foreign-key settings and the same PostgreSQL driver.
  chfw   the whole request: auth, parse, validate, signature (signed variant), replay counter,
         per-GUID checks, votes, split-supplier plans, N80 alerts, audit, response
Prints p50 over the runs and the ratio chfw/floor (bar: <= 2.0), unsigned and signed.

    .venv/bin/python bench/service_request.py --hubs 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
from lxml import etree
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chfw_api.bootstrap import build
from chfw_api.config import Settings
from chfw_api.domain.parties import Caller, PartyKind
from chfw_api.domain.releases import Priority, ReleaseType, Severity
from chfw_api.duis.keys import generate_signing_identity
from chfw_api.duis.schema import load_schema
from chfw_api.duis.signer import sign_document
from chfw_api.estate import write_sample_estate
from chfw_api.persistence.database import make_engine
from chfw_api.persistence.migrations import upgrade
from chfw_api.services.campaigns import NewCampaign, create_campaign
from chfw_api.services.inventory import import_hubs_csv
from chfw_api.services.parties import issue_key, load_parties, set_signing_certificate
from chfw_api.services.releases import NewRelease, register_release

PG_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/test"
DCC = "90-B3-D5-1F-30-00-00-02"
BATCH = 50_000


def _database(backend: str, work: Path) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{work / (uuid.uuid4().hex + '.db')}", None
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"chfw_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(PG_ADMIN).set(database=name).render_as_string(False), drop


def _body(supplier: str, campaign: str, guids: list[str], counter: int, when: str) -> bytes:
    ids = "".join(f"<sr:DeviceID>{g}</sr:DeviceID>" for g in guids)
    return (
        '<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" '
        f'schemaVersion="5.4"><sr:Header><sr:RequestID>{supplier}:{DCC}:{counter}'
        "</sr:RequestID><sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>11.7"
        "</sr:ServiceReference><sr:ServiceReferenceVariant>11.7</sr:ServiceReferenceVariant>"
        "</sr:Header><sr:Body><sr:InstructCHFirmwareDeployment>"
        f"<sr:CampaignID>{campaign}</sr:CampaignID><sr:Stage>SafeLaunch</sr:Stage>"
        f"<sr:RequestedActivationDateTime>{when}</sr:RequestedActivationDateTime>"
        f"<sr:DeviceIDList>{ids}</sr:DeviceIDList></sr:InstructCHFirmwareDeployment>"
        "</sr:Body></sr:Request>"
    ).encode()


def _floor(url: str, body: bytes, campaign_row: int, supplier_id: int) -> tuple[float, float]:
    """Seconds for the raw work, committed, and for its part up to the votes (what this floor
    measured before the plans and the commit were added); the rows are put back afterwards."""
    schema = load_schema()
    start = time.perf_counter()
    doc = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    schema.assertValid(doc)
    guids = [e.text for e in doc.iter("{*}DeviceID")]
    # chfw's own engine factory: the same SQLite pragmas (64 MiB page cache, WAL, FKs) and the
    # same PostgreSQL driver settings as the server under test.
    engine = make_engine(url)
    with engine.connect() as conn:
        trans = conn.begin()
        pg = conn.dialect.name == "postgresql"
        conn.exec_driver_sql(
            "CREATE TEMP TABLE floor_guids (guid varchar(23) PRIMARY KEY)"
            + (" ON COMMIT DROP" if pg else "")
        )
        if pg:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy("COPY floor_guids (guid) FROM STDIN") as copy:
                for g in guids:
                    copy.write_row((g,))
        else:
            conn.exec_driver_sql("INSERT INTO floor_guids VALUES (?)", [(g,) for g in guids])
        owned = conn.exec_driver_sql(
            "SELECT f.guid, h.import_supplier_id, h.gas_supplier_id FROM floor_guids f "
            "JOIN hubs h ON h.guid = f.guid JOIN campaign_hubs ch ON ch.guid = f.guid "
            f"AND ch.campaign_id = {campaign_row} WHERE h.import_supplier_id = {supplier_id} "
            f"OR h.gas_supplier_id = {supplier_id}"
        ).all()
        mark = "%s" if pg else "?"
        when = "2030-01-01T00:00:00+00:00" if pg else "2030-01-01 00:00:00.000000"
        votes = [("FLOOR", "SafeLaunch", g, supplier_id, when, "FLOOR", imp == supplier_id,
                  gas == supplier_id) for g, imp, gas in owned]  # fmt: skip
        columns = (
            "campaign_id, stage, guid, supplier_id, requested_at, instruction_id, as_import, as_gas"
        )
        if pg:  # COPY, as chfw writes its votes on PostgreSQL
            raw = conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY instruction_votes ({columns}) FROM STDIN") as copy,
            ):
                for vote in votes:
                    copy.write_row(vote)
        else:
            conn.exec_driver_sql(
                f"INSERT INTO instruction_votes ({columns}) VALUES ({', '.join([mark] * 8)})",
                votes,
            )
        votes_only = time.perf_counter() - start
        # The plan of each hub (BR3.5): the other rows an instruction writes.
        conn.exec_driver_sql(
            f"UPDATE campaign_hubs SET planned_activation_at = {mark}, status = 'instructed' "
            f"WHERE campaign_id = {mark} AND guid IN (SELECT guid FROM floor_guids)",
            (when, campaign_row),
        )
        trans.commit()
        seconds = time.perf_counter() - start
        with conn.begin():  # put back, untimed: chfw instructs these hubs next
            conn.exec_driver_sql("DELETE FROM instruction_votes WHERE campaign_id = 'FLOOR'")
            conn.exec_driver_sql(
                "UPDATE campaign_hubs SET planned_activation_at = NULL, status = 'eligible' "
                f"WHERE campaign_id = {mark} AND guid = {mark}",
                [(campaign_row, g) for g, _, _ in owned],
            )
    engine.dispose()
    return seconds, votes_only


@contextlib.contextmanager
def _traced_server(url: str) -> Iterator[tuple[str, list[int]]]:
    """`--trace` (#15): a second `chfw serve` on the same database with tracing on, exporting
    every span over OTLP/HTTP to a loopback sink (a real export; nothing kept). Yields its base
    URL and, once it has stopped (flushing its spans), the number of export POSTs received."""
    from chfw_api.delivery.receiver import Receiver

    port = _free_port()
    exports: list[int] = []
    with Receiver() as sink:
        env = {
            **os.environ,
            "CHFW_DATABASE_URL": url,
            "CHFW_LOG_LEVEL": "WARNING",
            "CHFW_AUTO_MIGRATE": "false",
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url("").rstrip("/"),
            "OTEL_SERVICE_NAME": "chfw-bench",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "chfw_api.cli", "serve", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(base + "/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield base, exports
        finally:
            server.terminate()  # the SDK flushes its batch span processor on exit
            server.wait()
            exports.append(len(sink.requests))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--batch", type=int, default=BATCH, help="GUIDs per instruction")
    ap.add_argument(
        "--trace", action="store_true", help="also run with OpenTelemetry on: overhead ratio"
    )
    args = ap.parse_args()
    batch = args.batch
    dcc = Caller(party_id=0, kind=PartyKind.DCC, code=DCC)
    with tempfile.TemporaryDirectory(prefix="chfw-bench-") as tmp:
        work = Path(tmp)
        estate = write_sample_estate(work / "estate", hubs=args.hubs, suppliers=4, seed=5)
        print(f"estate: {args.hubs:,} hubs; instruction: {batch:,} GUIDs, {args.runs} runs each")
        for backend in args.backends.split(","):
            url, drop = _database(backend, work)
            c = build(Settings(database_url=url))
            server = None
            stack = contextlib.ExitStack()
            try:
                upgrade(c.engine)
                load_parties(c.uow(), c.clock, document=json.loads(estate.parties_json.read_text()))
                with estate.hubs_csv.open(newline="") as f:
                    import_hubs_csv(c.uow(), c.clock, caller=dcc, stream=f)
                with c.engine.connect() as conn:
                    models = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT model FROM hubs")]
                    supplier_id, supplier = conn.exec_driver_sql(
                        "SELECT p.id, p.code FROM parties p JOIN hubs h ON h.import_supplier_id"
                        " = p.id GROUP BY p.id, p.code ORDER BY count(*) DESC LIMIT 1"
                    ).one()
                release = register_release(c.uow(), c.clock, caller=dcc, release=NewRelease(
                    manufacturer="Bench", model=models[0], version="0FFFFFFF",
                    image_hash="ab" * 32, release_note_ref="bench", severity=Severity.LOW,
                    priority=Priority.LOW, release_type=ReleaseType.PLANNED_MAINTENANCE,
                    operational_or_security=False))  # fmt: skip
                view = create_campaign(c.uow(), c.clock, caller=dcc, reason="bench",
                                       spec=NewCampaign(release_id=release.id,
                                                        device_models=tuple(models)))  # fmt: skip
                cid = view.campaign.campaign_id
                row = c.uow()
                with row as uow:
                    campaign_row = uow.campaigns.internal_id(cid) if uow.campaigns.get(cid) else 0
                    mine = uow.requests.supplier_campaign_guids(campaign_row, supplier_id,
                                                                in_pilot=False)  # fmt: skip
                need = batch * ((3 if args.trace else 2) * args.runs + 1)
                if len(mine) < need:
                    raise SystemExit(f"supplier has {len(mine):,} hubs; need {need:,}")
                key = issue_key(c.uow(), c.clock, party_code=supplier).key
                when = (c.clock.now() + timedelta(days=40)).isoformat()
                if backend == "postgresql":
                    with c.engine.connect() as conn:
                        conn.exec_driver_sql("ANALYZE")
                        conn.commit()
                port = _free_port()
                env = {**os.environ, "CHFW_DATABASE_URL": url, "CHFW_LOG_LEVEL": "WARNING"}
                server = subprocess.Popen(
                    [sys.executable, "-m", "chfw_api.cli", "serve", "--port", str(port)],
                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                base = f"http://127.0.0.1:{port}"
                for _ in range(100):
                    try:
                        if httpx.get(base + "/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}
                n_slices = (3 if args.trace else 2) * args.runs + 1
                slices = [mine[i * batch : (i + 1) * batch] for i in range(n_slices)]
                floors, narrow, ours, signed, traced = [], [], [], [], []
                tracing = stack.enter_context(_traced_server(url)) if args.trace else None
                traced_base = tracing[0] if tracing is not None else None
                counter = 10
                with httpx.Client(timeout=300) as http:
                    warm = _body(supplier, cid, slices[-1], counter, when)
                    w = http.post(base + "/api/v1/serviceD", content=warm, headers=headers)
                    assert w.status_code == 200, w.text[:800]
                    for i in range(args.runs):
                        counter += 1
                        body = _body(supplier, cid, slices[i], counter, when)
                        full, votes_only = _floor(url, body, campaign_row, supplier_id)
                        floors.append(full)
                        narrow.append(votes_only)
                        start = time.perf_counter()
                        r = http.post(base + "/api/v1/serviceD", content=body, headers=headers)
                        ours.append(time.perf_counter() - start)
                        assert r.status_code == 200 and b"<sr:ResponseCode>I0<" in r.content, (
                            r.text[:500]
                        )
                        if traced_base is not None:  # the same work, tracing on, just after
                            counter += 1
                            sl = slices[2 * args.runs + i]
                            body = _body(supplier, cid, sl, counter, when)
                            start = time.perf_counter()
                            r = http.post(
                                traced_base + "/api/v1/serviceD", content=body, headers=headers
                            )
                            traced.append(time.perf_counter() - start)
                            assert b"<sr:ResponseCode>I0<" in r.content, r.text[:500]
                    key_pem, cert_pem = generate_signing_identity("BENCH", serial=7)
                    set_signing_certificate(c.uow(), c.clock, code=supplier, pem=cert_pem.decode())
                    for i in range(args.runs):
                        counter += 1
                        body = sign_document(
                            _body(supplier, cid, slices[args.runs + i], counter, when),
                            key_pem, cert_pem,
                        )  # fmt: skip
                        start = time.perf_counter()
                        r = http.post(base + "/api/v1/serviceD", content=body, headers=headers)
                        signed.append(time.perf_counter() - start)
                        assert r.status_code == 200, r.text[:500]
            finally:
                stack.close()
                if server is not None:
                    server.terminate()
                    server.wait()
                c.dispose()
                if callable(drop):
                    drop()
            floor, p50, p50s, votes = (statistics.median(x) for x in (floors, ours, signed, narrow))
            print(
                f"{backend:10s} floor p50 {floor:6.3f}s | chfw p50 {p50:6.3f}s ratio "
                f"{p50 / floor:.2f} (bar <= 2.0) | signed p50 {p50s:6.3f}s ratio "
                f"{p50s / floor:.2f} | floor without plans or commit {votes:6.3f}s, ratio "
                f"{p50 / votes:.2f}"
            )
            if tracing is not None:
                on = statistics.median(traced)
                pairs = [f"{b / a:.3f}" for a, b in zip(ours, traced, strict=True)]
                print(
                    f"{backend:10s} tracing off p50 {p50:6.3f}s | on (OTLP/HTTP to a loopback "
                    f"sink, {tracing[1][0]} exports) p50 {on:6.3f}s | on/off ratio "
                    f"{on / p50:.3f} (each pair: {', '.join(pairs)})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
