"""Playing the other parties: `chfw csp-sim` acts as a CSP against a running service, and
`chfw demo` plays a whole campaign end to end on an accelerated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from chfw_api.cli import _settings, app, console, out


@app.command("csp-sim")
def csp_sim(
    csp: Annotated[str, typer.Option(help="the CSP ID whose outbound folder to read")],
    api_key: Annotated[str, typer.Option(envvar="CHFW_CSP_SIM_API_KEY", help="the CSP's API key")],
    api_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8000",
    gateway_root: Annotated[Path | None, typer.Option(help="default: CHFW_GATEWAY_ROOT")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    failure_rate: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    rate: Annotated[
        list[str] | None,
        typer.Option(help="region:North=0.1 or model:KC-200=0.3 (repeatable)"),
    ] = None,
    reason: Annotated[list[str] | None, typer.Option(help="failure reason codes")] = None,
    clock: Annotated[str, typer.Option(help="real, or simulated (jumps to each event)")] = "real",
    once: Annotated[bool, typer.Option(help="one step: read files, post what is due")] = False,
    poll_seconds: Annotated[float, typer.Option(min=0.05)] = 1.0,
) -> None:
    """Simulate a CSP: read its gateway folder, distribute and activate at the instructed
    times, fail some, and post the results back through the inbound API."""
    import httpx

    from chfw_api.cli.server import _observe
    from chfw_api.domain.clock import FakeClock, SystemClock
    from chfw_api.gateway.simulator import CspSimulator, SimConfig

    _observe("chfw-csp-sim")  # with OTEL_* set, its uploads carry a traceparent to the API
    s = _settings()
    rates = {}
    for item in rate or []:
        name, _, value = item.partition("=")
        rates[name.strip()] = float(value)
    config = SimConfig(
        csp_id=csp,
        gateway_root=gateway_root or s.gateway_root,
        seed=s.csp_sim_seed if seed is None else seed,
        failure_rate=s.csp_sim_failure_rate if failure_rate is None else failure_rate,
        rates=rates,
        reasons=tuple(reason or ()) or ("Timeout", "ImageVerifyFailed", "HubUnreachable"),
        distribution_lead=timedelta(seconds=s.csp_sim_distribution_lead_seconds),
        batch_size=s.csp_sim_batch_size,
    )
    fake = FakeClock(datetime.now(UTC)) if clock == "simulated" else None
    with httpx.Client(base_url=api_url, timeout=60.0) as client:
        sim = CspSimulator(config, client=client, api_key=api_key, clock=fake or SystemClock())

        def show(r: object) -> None:
            if getattr(r, "posted", 0) or getattr(r, "files", 0):
                console.print(f"csp-sim {csp}: {r}")

        if once:
            show(sim.step())
            return
        total = sim.run(advance=fake.set if fake else None, poll_seconds=poll_seconds, on_step=show)
    out.print(f"csp-sim {csp} done: {total}")


@app.command()
def demo(
    hubs: Annotated[int, typer.Option(min=200, help="hubs in the generated estate")] = 100_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="an empty database (default: a fresh SQLite file in <out>/demo)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="estate and CSP failures")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="work folder and report")] = Path("var"),
    mode: Annotated[str, typer.Option(help="subprocess or thread (API and worker)")] = (
        "subprocess"
    ),
    host: Annotated[str, typer.Option(help="address the API it starts listens on")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65_535, help="port of that API (0: a free one)")
    ] = 0,
) -> None:
    """Play a whole campaign end to end on an accelerated clock, through the real interfaces;
    print a summary and write <out>/report.html (docs/demo.md)."""
    from chfw_api.demo.main import main

    raise typer.Exit(
        main(
            hubs=hubs,
            database_url=database_url,
            seed=seed,
            out=out_dir,
            mode=mode,
            host=host,
            port=port,
        )
    )
